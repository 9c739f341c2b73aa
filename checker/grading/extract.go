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
}

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
		if n++; n > lim.MaxFiles {
			msgs = append(msgs, fmt.Sprintf("stopped reading the zip after %d files (the limit)", lim.MaxFiles))
			break
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

// Submission is one student's files, by part.
type Submission struct {
	ID     string          // the student ID, or the name of the zip or folder when it holds none
	Source string          // the zip, folder or loose files it came from
	Files  map[Part][]byte // the parts found
	From   map[Part]string // the name each part had
	Notes  []string        // what the student should hear: misnamed, missing, rejected, ignored
	Flags  []string        // short tags for grades.csv: misnamed, missing, rejected, ...
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

// Discover reads a folder of submissions: ID_assignment2.zip files,
// folders (one per student), and loose files named by the convention
// (grouped by the ID in their names). Warnings are about files no
// student could be found for.
func Discover(dir string, lim Limits) (subs []*Submission, warnings []string, err error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, err
	}
	byID := map[string]*Submission{}
	add := func(s *Submission) {
		if old := byID[s.ID]; old != nil {
			old.note("duplicate", "another submission for this ID, %s, was ignored (graded: %s)", s.Source, old.Source)
			return
		}
		byID[s.ID] = s
		subs = append(subs, s)
	}
	loose := map[string][]rawFile{}
	for _, e := range ents {
		p := filepath.Join(dir, e.Name())
		switch {
		case strings.HasPrefix(e.Name(), "."):
		case e.Type()&fs.ModeSymlink != 0:
			warnings = append(warnings, fmt.Sprintf("%s: a symbolic link, skipped", e.Name()))
		case e.IsDir():
			files, msgs, err := readFolder(p, lim)
			if err != nil {
				warnings = append(warnings, fmt.Sprintf("%s: %v", e.Name(), err))
				continue
			}
			add(assemble(e.Name(), e.Name(), files, msgs))
		case strings.EqualFold(filepath.Ext(e.Name()), ".zip"):
			files, msgs, err := readZip(p, lim)
			s := assemble(e.Name(), strings.TrimSuffix(e.Name(), filepath.Ext(e.Name())), files, msgs)
			if err != nil {
				s.note("rejected", "%v", err)
			}
			if !strings.EqualFold(e.Name(), ZipName(s.ID)) && ValidID(s.ID) == nil {
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
		add(assemble("loose files "+id+"_*", id, loose[id], nil))
	}
	sort.Slice(subs, func(i, j int) bool { return subs[i].ID < subs[j].ID })
	return subs, warnings, nil
}

// assemble sorts the files of one submission into parts.
func assemble(source, name string, files []rawFile, msgs []string) *Submission {
	s := &Submission{Source: source, Files: map[Part][]byte{}, From: map[Part]string{}}
	for _, m := range msgs {
		s.note("rejected", "%s", m)
	}
	// The ID: the one in the zip's or folder's name, else the one most
	// file names give.
	s.ID = IDIn(name)
	if s.ID == "" {
		count := map[string]int{}
		for _, f := range files {
			if _, id, ok := ParseName(path.Base(f.name)); ok {
				count[id]++
			}
		}
		best := 0
		for id, c := range count {
			if c > best || c == best && id < s.ID {
				s.ID, best = id, c
			}
		}
	}
	if s.ID == "" {
		s.ID = name
		s.note("no-id", "no student ID in the name %s or in the file names: graded as %q", source, name)
	}
	sort.Slice(files, func(i, j int) bool { return files[i].name < files[j].name })
	folderNoted := false
	for _, f := range files {
		base := path.Base(f.name)
		p, id, ok := ParseName(base)
		if !ok {
			var found bool
			if p, found = Identify(base, f.data); !found {
				s.note("ignored", "ignored %s: not part of a submission (only the four task files and the conceptual answers are graded; the tests and the checker are the instructor's)", f.name)
				continue
			}
			s.note("misnamed", "misnamed: %s should be %s (graded, flagged)", f.name, FileName(p, s.ID))
		} else if id != s.ID {
			s.note("misnamed", "%s names the ID %s, but the submission is %s (graded, flagged)", f.name, id, s.ID)
		}
		if strings.Contains(f.name, "/") && !folderNoted {
			folderNoted = true
			s.note("folder", "the files are in a folder (%s) inside the zip: the course wants them at its top level (graded, flagged)", path.Dir(f.name))
		}
		if old, dup := s.From[p]; dup {
			s.note("duplicate", "two files for %s: graded %s, ignored %s", FileName(p, s.ID), old, f.name)
			continue
		}
		s.Files[p], s.From[p] = f.data, f.name
	}
	for _, p := range Parts() {
		if _, ok := s.Files[p]; !ok {
			s.note("missing", "missing: %s (what it answers scores 0)", FileName(p, s.ID))
		}
	}
	return s
}
