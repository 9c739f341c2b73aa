package sandbox

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

const (
	diesWithParent    = true
	dropsCapabilities = true
)

// namespaceNames are the namespaces of cloneFlags, as Containment lists them.
var namespaceNames = []string{"user", "pid", "net", "mount", "ipc"}

const cloneFlags = syscall.CLONE_NEWUSER | syscall.CLONE_NEWPID | syscall.CLONE_NEWNET |
	syscall.CLONE_NEWNS | syscall.CLONE_NEWIPC

// namespaceUnavailable says why namespaces are not tried, or "".
func namespaceUnavailable() string {
	noNamespaces.Lock()
	defer noNamespaces.Unlock()
	return noNamespaces.reason
}

// selfExe is this program, for the stub. /proc/self/exe still works when the
// binary has been replaced or removed since it started.
func selfExe() (string, error) {
	if _, err := os.Stat("/proc/self/exe"); err == nil {
		return "/proc/self/exe", nil
	}
	return os.Executable()
}

func sysProcAttr(ns bool) *syscall.SysProcAttr {
	a := &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if ns {
		a.Cloneflags = cloneFlags
		if testBreakClone {
			a.Cloneflags |= syscall.CLONE_FS // invalid with CLONE_NEWUSER: EINVAL
		}
		a.UidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getuid(), Size: 1}}
		a.GidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getgid(), Size: 1}}
		a.GidMappingsEnableSetgroups = false
	}
	return a
}

// closeOnExecFrom marks every descriptor from first on close-on-exec.
func closeOnExecFrom(first int) {
	if unix.CloseRange(uint(first), ^uint(0), unix.CLOSE_RANGE_CLOEXEC) != nil {
		closeOnExecLoop(first) // before Linux 5.11
	}
}

// waitExitNoReap waits until pid has exited but leaves it a zombie, and
// reports whether it could.
func waitExitNoReap(pid int) bool {
	for {
		var info unix.Siginfo
		err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
		if err == unix.EINTR {
			continue
		}
		return err == nil
	}
}

// setupNamespaces runs in the stub, as root of the new user namespace and
// alone in the new mount namespace, and arranges the file system.
func setupNamespaces(cfg *stubConfig) (notes []string, err error) {
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return nil, fmt.Errorf("making the mounts private, so that nothing propagates to the host: %w", err)
	}
	// Dir becomes a mount of its own, so that it can stay writable when
	// everything else becomes read-only.
	if err := unix.Mount(cfg.Dir, cfg.Dir, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return nil, fmt.Errorf("bind-mounting the work folder %s: %w", cfg.Dir, err)
	}
	if cfg.Minimal {
		return notes, minimalRoot(cfg)
	}
	// The host's /proc shows the checker's processes, their environment and
	// memory; a fresh one shows the new PID namespace only. The kernel
	// refuses it when parts of the old /proc are covered by other mounts
	// (as in some containers): then /proc is hidden instead.
	err = unix.Mount("proc", "/proc", "proc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "")
	if cfg.NoFreshProc && err == nil {
		err = unix.Unmount("/proc", 0)
		if err == nil {
			err = errors.New("refused by the test")
		}
	}
	if err != nil {
		if herr := hide("/proc", cfg.LegacyRemount); herr != nil {
			return nil, fmt.Errorf("mounting a fresh /proc failed (%v), and so did hiding the host's: %w", err, herr)
		}
		notes = append(notes, fmt.Sprintf("/proc hidden, as a fresh one could not be mounted (%v)", err))
	} else if !cfg.NestedUserNS {
		// Defence in depth: no nested user namespaces, in which the
		// process would get capabilities again. The mounts below are
		// locked in a nested namespace anyway.
		_ = os.WriteFile("/proc/sys/user/max_user_namespaces", []byte("0\n"), 0)
	}
	if err := readOnly("/", cfg.Dir, cfg.LegacyRemount); err != nil {
		return notes, fmt.Errorf("making the file system read-only: %w", err)
	}
	for _, p := range cfg.ReadOnly {
		if err := unix.Mount(p, p, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
			return notes, fmt.Errorf("bind-mounting ReadOnly path %s: %w", p, err)
		}
		if err := readOnly(p, "", cfg.LegacyRemount); err != nil {
			return notes, fmt.Errorf("making ReadOnly path %s read-only: %w", p, err)
		}
	}
	for _, p := range cfg.Hidden {
		err := hide(p, cfg.LegacyRemount)
		if errors.Is(err, os.ErrNotExist) {
			// Gone since Start checked it (another run's temporary
			// folder, removed meanwhile): nothing left to hide.
			continue
		}
		if err != nil {
			return notes, fmt.Errorf("hiding %s: %w", p, err)
		}
	}
	return notes, nil
}

// minimalRoot makes the stub's root a read-only tmpfs holding only the
// binary (/student), the work folder (/work, writable), a fresh /proc and
// /dev/null, and points cfg at them: what the student process sees is an
// allow-list, not the host minus a deny-list.
func minimalRoot(cfg *stubConfig) error {
	// The new root is built on a folder that holds neither the work
	// folder nor the binary (it is covered while it is built).
	base := ""
	for _, d := range []string{"/mnt", "/media", "/srv", "/opt", "/var/tmp", "/tmp", "/home", "/root"} {
		if fi, err := os.Stat(d); err != nil || !fi.IsDir() || within(cfg.Dir, d) || within(cfg.Path, d) {
			continue
		}
		base = d
		break
	}
	if base == "" {
		return errors.New("no folder to build the minimal root on")
	}
	if err := unix.Mount("tmpfs", base, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "size=64k,mode=755"); err != nil {
		return fmt.Errorf("mounting the minimal root on %s: %w", base, err)
	}
	for _, d := range []string{"work", "proc", "dev", "old"} {
		if err := os.Mkdir(filepath.Join(base, d), 0o755); err != nil {
			return err
		}
	}
	for _, f := range []string{"student", "dev/null"} {
		if err := os.WriteFile(filepath.Join(base, f), nil, 0o755); err != nil {
			return err
		}
	}
	binds := []struct {
		from, to string
		ro       bool
	}{{cfg.Dir, "work", false}, {cfg.Path, "student", true}, {"/dev/null", "dev/null", false}}
	for _, b := range binds {
		to := filepath.Join(base, b.to)
		if err := unix.Mount(b.from, to, "", unix.MS_BIND, ""); err != nil {
			return fmt.Errorf("bind-mounting %s into the minimal root: %w", b.from, err)
		}
		if b.ro {
			if err := unix.Mount("", to, "", unix.MS_REMOUNT|unix.MS_BIND|unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV, ""); err != nil {
				return fmt.Errorf("making %s read-only: %w", b.to, err)
			}
		}
	}
	if err := unix.Mount("proc", filepath.Join(base, "proc"), "proc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
		return fmt.Errorf("mounting /proc in the minimal root: %w", err)
	}
	if err := os.Chdir(base); err != nil {
		return err
	}
	if err := unix.PivotRoot(".", "old"); err != nil {
		return fmt.Errorf("pivot_root into the minimal root: %w", err)
	}
	if err := os.Chdir("/"); err != nil {
		return err
	}
	if err := unix.Unmount("/old", unix.MNT_DETACH); err != nil {
		return fmt.Errorf("detaching the host's root: %w", err)
	}
	if err := os.Remove("/old"); err != nil {
		return err
	}
	if err := unix.Mount("", "/", "", unix.MS_REMOUNT|unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV, ""); err != nil {
		return fmt.Errorf("making the minimal root read-only: %w", err)
	}
	if !cfg.NestedUserNS {
		_ = os.WriteFile("/proc/sys/user/max_user_namespaces", []byte("0\n"), 0)
	}
	cfg.Path, cfg.Dir = "/student", "/work"
	for i, kv := range cfg.Env {
		if strings.HasPrefix(kv, "HOME=") || strings.HasPrefix(kv, "TMPDIR=") {
			k, _, _ := strings.Cut(kv, "=")
			cfg.Env[i] = k + "=/work"
		}
	}
	return nil
}

// readOnly makes the mount at root and every mount below it read-only,
// except the mount at keep and those below it.
func readOnly(root, keep string, legacy bool) error {
	if !legacy {
		err := unix.MountSetattr(unix.AT_FDCWD, root, unix.AT_RECURSIVE,
			&unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY})
		if err == nil && keep != "" {
			err = unix.MountSetattr(unix.AT_FDCWD, keep, unix.AT_RECURSIVE,
				&unix.MountAttr{Attr_clr: unix.MOUNT_ATTR_RDONLY})
			if err != nil {
				return fmt.Errorf("keeping %s writable: %w", keep, err)
			}
		}
		if err != unix.ENOSYS {
			return err
		}
		// Before Linux 5.12: mount by mount.
	}
	mounts, err := mountPoints()
	if err != nil {
		return err
	}
	for _, mp := range mounts {
		if !within(mp, root) || keep != "" && within(mp, keep) {
			continue
		}
		if err := remountReadOnly(mp); err != nil {
			if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOENT) {
				// No longer a mount point in this view (covered by a later
				// mount, such as the old /proc's mounts under the fresh
				// /proc): not reachable, nothing to protect.
				continue
			}
			return fmt.Errorf("%s: %w", mp, err)
		}
	}
	return nil
}

// remountReadOnly remounts the top mount at mp read-only, keeping the flags
// that the kernel locks in a user namespace (nosuid, nodev, noexec, atime):
// changing them would fail.
func remountReadOnly(mp string) error {
	var st unix.Statfs_t
	if err := unix.Statfs(mp, &st); err != nil {
		return err
	}
	flags := uintptr(unix.MS_BIND | unix.MS_REMOUNT | unix.MS_RDONLY)
	for _, f := range []struct{ st, ms uintptr }{
		{unix.ST_NOSUID, unix.MS_NOSUID},
		{unix.ST_NODEV, unix.MS_NODEV},
		{unix.ST_NOEXEC, unix.MS_NOEXEC},
		{unix.ST_NOATIME, unix.MS_NOATIME},
		{unix.ST_NODIRATIME, unix.MS_NODIRATIME},
		{unix.ST_RELATIME, unix.MS_RELATIME},
	} {
		if uintptr(st.Flags)&f.st != 0 {
			flags |= f.ms
		}
	}
	return unix.Mount("", mp, "", flags, "")
}

// mountPoints lists the mount points of this mount namespace, parents
// before children.
func mountPoints() ([]string, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var mps []string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 5 {
			return nil, fmt.Errorf("/proc/self/mountinfo: expected at least 5 fields, found %q", sc.Text())
		}
		mps = append(mps, unescapeOctal(fields[4]))
	}
	return mps, sc.Err()
}

// unescapeOctal undoes mountinfo's \ooo escapes (of space, tab, newline, \).
func unescapeOctal(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// hide covers a folder with an empty read-only tmpfs, or a file with an
// empty read-only file (the null device).
func hide(p string, legacy bool) error {
	fi, err := os.Stat(p)
	if err != nil {
		return err
	}
	if fi.IsDir() {
		return unix.Mount("tmpfs", p, "tmpfs",
			unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "size=4k,mode=555")
	}
	if err := unix.Mount("/dev/null", p, "", unix.MS_BIND, ""); err != nil {
		return err
	}
	return readOnly(p, "", legacy)
}

// dropPrivileges runs in the stub just before the exec: afterwards the
// student's "root" has no capability at all, so it cannot unmount or
// remount what the stub set up, and can never gain one (no_new_privs, empty
// bounding set, SECBIT_NOROOT locked).
func dropPrivileges() error {
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("setting no_new_privs: %w", err)
	}
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return fmt.Errorf("reading capabilities: %w", err)
	}
	if data[0].Effective&(1<<unix.CAP_SETPCAP) != 0 {
		for c := 0; c < 64; c++ {
			err := unix.Prctl(unix.PR_CAPBSET_DROP, uintptr(c), 0, 0, 0)
			if err == unix.EINVAL {
				break // past the last capability this kernel knows
			}
			if err != nil {
				return fmt.Errorf("dropping capability %d from the bounding set: %w", c, err)
			}
		}
		const secbits = 1<<0 | 1<<1 | // SECBIT_NOROOT, locked
			1<<2 | 1<<3 | // SECBIT_NO_SETUID_FIXUP, locked
			1<<5 | // SECBIT_KEEP_CAPS_LOCKED (off)
			1<<6 | 1<<7 // SECBIT_NO_CAP_AMBIENT_RAISE, locked
		if err := unix.Prctl(unix.PR_SET_SECUREBITS, secbits, 0, 0, 0); err != nil {
			return fmt.Errorf("setting securebits: %w", err)
		}
	}
	if err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0); err != nil && err != unix.EINVAL {
		return fmt.Errorf("clearing ambient capabilities: %w", err)
	}
	data = [2]unix.CapUserData{}
	if err := unix.Capset(&hdr, &data[0]); err != nil {
		return fmt.Errorf("dropping capabilities: %w", err)
	}
	return nil
}
