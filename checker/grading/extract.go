package grading

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// Limits bound what is read from one submission.
type Limits struct {
	MaxFiles    int   // entries read from a zip or folder
	MaxFileSize int64 // bytes of one file, declared or actual
	MaxTotal    int64 // bytes of all files
}

// DefaultLimits are generous for four Go files and a few answers.
var DefaultLimits = Limits{MaxFiles: 200, MaxFileSize: 1 << 20, MaxTotal: 4 << 20}

// rawFile is one file read from a submission: its path inside the zip
// or folder (slash-separated) and its bytes.
type rawFile struct {
	name string
	data []byte
	pdf  bool // a PDF: for the hand graders, not read (a scan may be larger than any limit)
}

// isPDF says whether a submitted file is a PDF, by its name.
func isPDF(name string) bool { return strings.EqualFold(path.Ext(name), ".pdf") }

// safeName says why a path inside an archive may not be used, or "".
func safeName(name string) string {
	n := strings.ReplaceAll(name, `\`, "/")
	switch {
	case strings.HasPrefix(n, "/") || (len(n) > 1 && n[1] == ':'):
		return "an absolute path"
	case !fs.ValidPath(strings.TrimSuffix(path.Clean(n), "/")) || strings.Contains("/"+n+"/", "/../"):
		return "a path outside the archive (path traversal)"
	}
	return ""
}

// readZip reads the regular files of the zip at p without ever writing
// them anywhere by their own names. Entries that are not safe (path
// traversal, absolute paths, links, anything but a regular file), too
// large (declared or when actually expanded: a zip bomb) or beyond the
// limits are skipped with a message; the rest is returned.
func readZip(p string, lim Limits) ([]rawFile, []string, error) {
	zr, err := zip.OpenReader(p)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return nil, nil, fmt.Errorf("%s is not a readable zip file: %v", filepath.Base(p), err)
	}
	defer zr.Close()
	var files []rawFile
	var msgs []string
	var total int64
	n := 0
	seen := map[string]bool{}
	for _, f := range zr.File {
		name := f.Name
		if strings.HasSuffix(name, "/") || f.FileInfo().IsDir() {
			continue
		}
		if why := safeName(name); why != "" {
			msgs = append(msgs, fmt.Sprintf("rejected zip entry %q: %s", name, why))
			continue
		}
		mode := f.Mode()
		if mode&fs.ModeSymlink != 0 {
			msgs = append(msgs, fmt.Sprintf("rejected zip entry %q: a symbolic link", name))
			continue
		}
		if !mode.IsRegular() {
			msgs = append(msgs, fmt.Sprintf("rejected zip entry %q: not a regular file", name))
			continue
		}
		if strings.HasPrefix(path.Base(name), ".") || strings.HasPrefix(name, "__MACOSX/") {
			continue // editor and OS debris
		}
		// A name twice: unzip tools keep one or the other, so which copy
		// is graded must not depend on sorting; the first is kept.
		key := strings.ReplaceAll(name, `\`, "/")
		if seen[key] {
			msgs = append(msgs, fmt.Sprintf("rejected zip entry %q: a second entry named %s (the first is graded)", name, key))
			continue
		}
		seen[key] = true
		if n++; n > lim.MaxFiles {
			msgs = append(msgs, fmt.Sprintf("stopped reading the zip after %d files (the limit)", lim.MaxFiles))
			break
		}
		if isPDF(name) {
			files = append(files, rawFile{name: strings.ReplaceAll(name, `\`, "/"), pdf: true})
			continue
		}
		if f.UncompressedSize64 > uint64(lim.MaxFileSize) {
			msgs = append(msgs, fmt.Sprintf("rejected zip entry %q: it declares %d bytes, more than the %d a file may have (a zip bomb?)", name, f.UncompressedSize64, lim.MaxFileSize))
			continue
		}
		rc, err := f.Open()
		if err != nil {
			msgs = append(msgs, fmt.Sprintf("rejected zip entry %q: %v", name, err))
			continue
		}
		b, err := io.ReadAll(io.LimitReader(rc, lim.MaxFileSize+1))
		rc.Close()
		switch {
		case int64(len(b)) > lim.MaxFileSize || uint64(len(b)) > f.UncompressedSize64 || errors.Is(err, zip.ErrFormat):
			// archive/zip stops with ErrFormat past the declared size.
			msgs = append(msgs, fmt.Sprintf("rejected zip entry %q: it expands beyond the %d bytes it declares (a zip bomb)", name, f.UncompressedSize64))
			continue
		case err != nil:
			msgs = append(msgs, fmt.Sprintf("rejected zip entry %q: %v", name, err))
			continue
		}
		if total += int64(len(b)); total > lim.MaxTotal {
			msgs = append(msgs, fmt.Sprintf("stopped reading the zip: its files add up to more than %d bytes", lim.MaxTotal))
			break
		}
		files = append(files, rawFile{name: strings.ReplaceAll(name, `\`, "/"), data: b})
	}
	return files, msgs, nil
}

// readFolder reads the regular files below dir (links are skipped), with
// the same limits as readZip.
func readFolder(dir string, lim Limits) ([]rawFile, []string, error) {
	var files []rawFile
	var msgs []string
	var total int64
	n := 0
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if p != dir && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 {
			msgs = append(msgs, fmt.Sprintf("rejected %q: a symbolic link", rel))
			return nil
		}
		if !d.Type().IsRegular() || strings.HasPrefix(d.Name(), ".") {
			return nil
		}
		if n++; n > lim.MaxFiles {
			msgs = append(msgs, fmt.Sprintf("stopped reading after %d files (the limit)", lim.MaxFiles))
			return filepath.SkipAll
		}
		if isPDF(rel) {
			files = append(files, rawFile{name: rel, pdf: true})
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if info.Size() > lim.MaxFileSize {
			msgs = append(msgs, fmt.Sprintf("rejected %q: %d bytes, more than the %d a file may have", rel, info.Size(), lim.MaxFileSize))
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if total += int64(len(b)); total > lim.MaxTotal {
			msgs = append(msgs, fmt.Sprintf("stopped reading: the files add up to more than %d bytes", lim.MaxTotal))
			return filepath.SkipAll
		}
		files = append(files, rawFile{name: rel, data: b})
		return nil
	})
	return files, msgs, err
}

// File is one submitted file: the name it had in the submission and its
// bytes.
type File struct {
	Name string
	Data []byte
}

// Submission is one student's files, by part.
type Submission struct {
	// ID is the student ID in the zip's or folder's name (loose files:
	// in their names), or, when the name holds none, a key derived from
	// the name (NoID is then set): never an ID found inside.
	ID     string
	NoID   bool
	Source string          // the zip, folder or loose files it came from
	Files  map[Part][]File // the parts found; a task may come in several files (task 3 as lenet.go and train.go)
	PDF    string          // the conceptual answers' PDF (its name in the submission; not graded), "" when none
	Notes  []string        // what the student should hear: misnamed, missing, rejected, ignored
	Flags  []string        // short tags for grades.csv: misnamed, missing, rejected, ...
	Empty  bool            // nothing at all in it (an empty folder or zip): not graded
}

// Has says whether part p was submitted.
func (s *Submission) Has(p Part) bool { return len(s.Files[p]) > 0 }

// fileName is the name part p should have in this submission ("ID" in
// place of the ID when its name holds none).
func (s *Submission) fileName(p Part) string {
	if s.NoID {
		return FileName(p, "ID")
	}
	return FileName(p, s.ID)
}

// hasConceptual says whether any conceptual answer was submitted.
func (s *Submission) hasConceptual() bool {
	for _, p := range Parts() {
		if !strings.HasPrefix(string(p), "task") && s.Has(p) {
			return true
		}
	}
	return false
}

func (s *Submission) flag(f string) {
	for _, x := range s.Flags {
		if x == f {
			return
		}
	}
	s.Flags = append(s.Flags, f)
}

func (s *Submission) note(flag, format string, args ...any) {
	s.Notes = append(s.Notes, fmt.Sprintf(format, args...))
	if flag != "" {
		s.flag(flag)
	}
}

// Discover reads the submissions at root: a folder of ID_assignment2.zip
// files, folders (one per student) and loose files named by the
// convention (grouped by the ID in their names), or a single zip (or
// folder) given by itself. Warnings are about entries no submission could
// be made of.
//
// Each submission's ID comes from its own name (see the package doc):
// two entries with the same ID are one student's duplicate (the first by
// name is graded, the other reported), while entries without an ID each
// get their own key and are never merged.
func Discover(root string, lim Limits) (subs []*Submission, warnings []string, err error) {
	return discover(root, lim, "")
}

// discover is Discover leaving out the folder skip (the results folder,
// when it lies among the submissions).
func discover(root string, lim Limits, skip string) (subs []*Submission, warnings []string, err error) {
	st, err := os.Stat(root)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, nil, fmt.Errorf("%s does not exist: expected a folder of submissions or one submission zip (ID_assignment2.zip)", root)
	case err != nil:
		return nil, nil, fmt.Errorf("cannot read the submissions at %s: %v", root, err)
	case !st.IsDir() && !st.Mode().IsRegular():
		return nil, nil, fmt.Errorf("%s is a %s: expected a folder of submissions or one submission zip (ID_assignment2.zip)", root, kindOf(st.Mode()))
	}
	dir := root
	var ents []fs.DirEntry
	if st.IsDir() {
		if ents, err = os.ReadDir(root); err != nil {
			return nil, nil, err
		}
	} else {
		// One submission by itself: check grade 3180100111_assignment2.zip.
		dir = filepath.Dir(root)
		ents = []fs.DirEntry{fs.FileInfoToDirEntry(st)}
	}
	byID := map[string]*Submission{}
	add := func(s *Submission) {
		if old := byID[s.ID]; old != nil {
			if !s.NoID {
				old.note("duplicate", "another submission for this ID, %s, was ignored (graded: %s)", s.Source, old.Source)
				return
			}
			base := s.ID
			for n := 2; byID[s.ID] != nil; n++ {
				s.ID = fmt.Sprintf("%s-%d", base, n)
			}
		}
		byID[s.ID] = s
		subs = append(subs, s)
	}
	loose := map[string][]rawFile{}
	for _, e := range ents {
		p := filepath.Join(dir, e.Name())
		switch {
		case strings.HasPrefix(e.Name(), "."):
		case skip != "" && sameFile(p, skip):
			warnings = append(warnings, fmt.Sprintf("%s: the results folder, skipped", e.Name()))
		case e.Type()&fs.ModeSymlink != 0:
			warnings = append(warnings, fmt.Sprintf("%s: a symbolic link, skipped", e.Name()))
		case e.IsDir():
			files, msgs, err := readFolder(p, lim)
			if err != nil {
				warnings = append(warnings, fmt.Sprintf("%s: %v", e.Name(), err))
				continue
			}
			add(assemble(e.Name()+"/", e.Name(), files, msgs))
		case strings.EqualFold(filepath.Ext(e.Name()), ".zip"):
			var files []rawFile
			var msgs []string
			var zerr error
			if info, err := e.Info(); err != nil || info.Size() > 0 {
				files, msgs, zerr = readZip(p, lim)
			} // a zero-byte file: an empty submission, not a broken zip
			if zerr != nil {
				msgs = append(msgs, zerr.Error())
			}
			s := assemble(e.Name(), e.Name(), files, msgs)
			if !s.NoID && !strings.EqualFold(e.Name(), ZipName(s.ID)) {
				s.note("misnamed", "the zip is named %s; the course requires %s", e.Name(), ZipName(s.ID))
			}
			add(s)
		case e.Type().IsRegular():
			id := IDIn(e.Name())
			if id == "" {
				warnings = append(warnings, fmt.Sprintf("%s: no student ID in its name, skipped", e.Name()))
				continue
			}
			info, err := e.Info()
			if err != nil || info.Size() > lim.MaxFileSize {
				warnings = append(warnings, fmt.Sprintf("%s: unreadable or larger than %d bytes, skipped", e.Name(), lim.MaxFileSize))
				continue
			}
			b, err := os.ReadFile(p)
			if err != nil {
				warnings = append(warnings, fmt.Sprintf("%s: %v", e.Name(), err))
				continue
			}
			loose[id] = append(loose[id], rawFile{name: e.Name(), data: b})
		}
	}
	var ids []string
	for id := range loose {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		add(assemble("loose files *"+id+"*", id, loose[id], nil))
	}
	sort.Slice(subs, func(i, j int) bool { return subs[i].ID < subs[j].ID })
	if !st.IsDir() && len(subs) == 0 {
		return nil, warnings, fmt.Errorf("%s: expected a folder of submissions or one submission (a zip, or a file with the student ID in its name); found a file without an ID that is not a zip", root)
	}
	return subs, warnings, nil
}

// kindOf names a file mode that is neither a folder nor a regular file.
func kindOf(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "named pipe"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeDevice != 0:
		return "device"
	}
	return "special file (" + m.Type().String() + ")"
}

// sameFile says whether the paths a and b name the same file.
func sameFile(a, b string) bool {
	sa, err1 := os.Stat(a)
	sb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(sa, sb)
}

// candidate is a file that may be a part, with its rank: files named by
// the convention first, then the kit's names, then files identified by
// their content.
type candidate struct {
	f    rawFile
	rank int
}

// assemble sorts the files of one submission into parts. name is the
// zip's or folder's name: the ID in it, or else the name itself as a key,
// is the submission's ID.
func assemble(source, name string, files []rawFile, msgs []string) *Submission {
	s := &Submission{Source: source, Files: map[Part][]File{}}
	for _, m := range msgs {
		s.note("rejected", "%s", m)
	}
	if s.ID = IDIn(name); s.ID == "" {
		s.ID, s.NoID = name, true
		s.note("no-id", "no student ID in the name %s: graded under the key %q derived from that name, whatever IDs the files inside name (rename it %s to grade it as a student's)", source, name, ZipName("ID"))
	}
	if len(files) == 0 && len(msgs) == 0 {
		s.Empty = true
		what := "the folder " + source + " is empty"
		if !strings.HasSuffix(source, "/") {
			what = "the zip " + source + " is empty"
		}
		s.note("empty", "empty submission: %s (nothing to grade; not counted in the mean)", what)
		return s
	}
	sort.Slice(files, func(i, j int) bool { return files[i].name < files[j].name })
	folderNoted := false
	cands := map[Part][]candidate{}
	var pdfs []string
	for _, f := range files {
		base := path.Base(f.name)
		if f.pdf {
			pdfs = append(pdfs, f.name)
			continue
		}
		rank := 0
		p, id, ok := ParseName(base)
		if !ok {
			rank = 1
			p, id, ok = ParseKitName(base)
		}
		if !ok {
			rank = 2
			var found bool
			if p, found = Identify(base, f.data); !found {
				s.note("ignored", "ignored %s: not part of a submission (only the four task files and the conceptual answers are graded; the tests and the checker are the instructor's)", f.name)
				continue
			}
			s.note("misnamed", "misnamed: %s should be %s (graded, flagged)", f.name, s.fileName(p))
		}
		dir := path.Dir(f.name)
		inAnswers := answersFolderRE.MatchString(dir) && !strings.HasPrefix(string(p), "task")
		if inAnswers && (id == "" || id == s.ID) {
			id = strings.TrimSuffix(dir, "_answers") // an answers folder named for another ID counts as naming it
		}
		if id != "" && id != s.ID {
			whose := fmt.Sprintf("this submission is %s's (from its name %s)", s.ID, source)
			if s.NoID {
				whose = fmt.Sprintf("this submission's name %s holds no ID", source)
			}
			s.note("other-id", "%s names the student ID %s, but %s: graded as part of this submission, flagged for review; %s's own results are not touched", f.name, id, whose, id)
		}
		if strings.Contains(f.name, "/") && !inAnswers && !folderNoted {
			folderNoted = true
			s.note("folder", "the files are in a folder (%s) inside the zip: the course wants them at its top level (graded, flagged)", path.Dir(f.name))
		}
		// Where it is breaks ties between files named alike: a task at
		// the top level, an answer in this submission's ID_answers/, then
		// an answer at the top level (the old layout), then any folder.
		where := 2
		switch {
		case strings.HasPrefix(string(p), "task") && !strings.Contains(f.name, "/"),
			inAnswers && dir == AnswersFolder(s.ID):
			where = 0
		case !strings.Contains(f.name, "/"):
			where = 1
		}
		cands[p] = append(cands[p], candidate{f, rank*3 + where})
	}
	// The PDF named as the course wants is the one kept.
	sort.SliceStable(pdfs, func(i, j int) bool {
		return strings.EqualFold(path.Base(pdfs[i]), s.pdfName()) && !strings.EqualFold(path.Base(pdfs[j]), s.pdfName())
	})
	for _, p := range pdfs {
		s.takePDF(p)
	}
	for _, p := range Parts() {
		cs := cands[p]
		sort.SliceStable(cs, func(i, j int) bool { return cs[i].rank < cs[j].rank })
		for _, c := range cs {
			if len(s.Files[p]) == 0 {
				s.Files[p] = []File{{Name: c.f.name, Data: c.f.data}}
				continue
			}
			first := s.Files[p][0].Name
			if !strings.HasPrefix(string(p), "task") {
				s.note("duplicate", "two files for %s: graded %s, ignored %s", s.fileName(p), first, c.f.name)
				continue
			}
			if why := joinable(s.Files[p], c.f); why != "" {
				s.note("duplicate", "two files for %s: graded %s, ignored %s (%s)", s.fileName(p), first, c.f.name, why)
				continue
			}
			s.Files[p] = append(s.Files[p], File{Name: c.f.name, Data: c.f.data})
		}
		if len(s.Files[p]) > 1 {
			var names []string
			for _, f := range s.Files[p] {
				names = append(names, f.Name)
			}
			s.note("", "%s is graded from %d files of one package: %s", p, len(names), strings.Join(names, ", "))
		}
	}
	for _, p := range Parts() {
		if !s.Has(p) {
			s.note("missing", "missing: %s (what it answers scores 0)", s.fileName(p))
		}
	}
	if s.PDF == "" {
		s.note("no-pdf", "missing: %s, the conceptual answers the course's hand graders read (the answer files are graded all the same)", s.pdfName())
	}
	return s
}

// pdfName is the name the conceptual PDF should have in this submission.
func (s *Submission) pdfName() string {
	if s.NoID {
		return PDFName("ID")
	}
	return PDFName(s.ID)
}

// takePDF records a PDF of the submission: the first is the conceptual
// answers (flagged when misnamed or not at the top level), the others
// are noted and ignored.
func (s *Submission) takePDF(name string) {
	switch {
	case s.PDF != "":
		s.note("duplicate", "two PDFs: %s is the conceptual answers, %s is ignored", s.PDF, name)
		return
	case !strings.EqualFold(path.Base(name), s.pdfName()):
		s.note("misnamed", "misnamed: %s should be %s (kept for the hand graders, flagged)", name, s.pdfName())
	case strings.Contains(name, "/"):
		s.note("folder", "%s is in a folder inside the zip: the course wants it at its top level (kept, flagged)", name)
	}
	s.PDF = name
}

// joinable says why f cannot be graded together with the files already
// taken for a task (they are one package, as task 3's lenet.go and
// train.go), or "": it must parse, be the same package and declare no
// name they declare (a second copy of the task is a duplicate, not a
// part).
func joinable(taken []File, f rawFile) string {
	pkg, decls, err := goDecls(f.name, f.data)
	if err != nil {
		return "it does not parse"
	}
	declared := map[string]string{}
	for _, t := range taken {
		tpkg, tdecls, err := goDecls(t.Name, t.Data)
		if err != nil {
			return t.Name + " does not parse"
		}
		if tpkg != pkg {
			return fmt.Sprintf("it is package %s, %s package %s", pkg, t.Name, tpkg)
		}
		for _, d := range tdecls {
			declared[d] = t.Name
		}
	}
	for _, d := range decls {
		if other, dup := declared[d]; dup {
			return fmt.Sprintf("it declares %s, as %s does: a second copy?", d, other)
		}
	}
	return ""
}
