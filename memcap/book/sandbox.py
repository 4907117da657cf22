"""Run an untrusted notebook (a student's submission) contained: a private copy, limits on time, memory and
processes, and, where Linux allows it, namespaces that leave nothing else of the machine in view.

:func:`execute` writes the notebook into an empty working folder and runs it there through nbclient, in a helper
process (``python -m memcap.book.sandbox``) that:

* with user, mount, pid, network and IPC **namespaces** (:func:`isolation_problem` says whether they work here):
  builds a new root holding only the system folders (``/usr``, ``/etc``, ...), the Python installation, the
  ``memcap`` package and the read-only inputs it is given (the instructor's run store), all read-only, plus the
  working folder (writable), an empty ``/tmp``, a few ``/dev`` nodes and its own ``/proc``; pivots into it and
  drops the old root, so the course folder, the gradebook, the instructor's source notebook and other students'
  files do not exist for the submission; no network but loopback; run as root, the submission is an unprivileged
  user (uid :data:`SANDBOX_ID`) outside;
* without them: the working folder and a clean environment only (the submission can still read and write what the
  grading user can: :func:`execute` says so in one warning line);
* in both cases: a limit per cell and per notebook (a cell past its limit is interrupted and gets a ``CellTimeout``
  error, the cells never reached a ``NotGraded`` one, so they score zero with the reason), and ``RLIMIT_AS``,
  ``RLIMIT_NPROC``, ``RLIMIT_FSIZE`` and ``RLIMIT_CPU``.

    >>> Limits(cell_seconds=60, notebook_seconds=300).cell_seconds
    60
"""

from __future__ import annotations

import ctypes
import json
import math
import os
import platform
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

SANDBOX_ID = 60999  # the uid and gid a submission runs as when grading runs as root (an id no account uses)
NOT_RUN = "NotGraded"  # the error a cell that never ran shows, so its exercise scores zero with the reason
TIMEOUT = "CellTimeout"
NOTEBOOK = "submission.ipynb"
SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc")
GRACE_SECONDS = 30  # kernel start and shutdown, on top of the notebook's limit, before the helper is killed
_CLONE = dict(NEWNS=0x00020000, NEWUSER=0x10000000, NEWPID=0x20000000, NEWNET=0x40000000, NEWIPC=0x08000000)
_MS = dict(RDONLY=1, NOSUID=2, NODEV=4, NOEXEC=8, REMOUNT=32, NOATIME=1024, NODIRATIME=2048, BIND=4096,
           REC=16384, PRIVATE=1 << 18, RELATIME=1 << 21)
_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41, "ppc64le": 203, "s390x": 217}


@dataclass(frozen=True)
class Limits:
    """What one submission may use: seconds per cell and per notebook, bytes of address space, processes (and
    threads), bytes per file written."""

    cell_seconds: float
    notebook_seconds: float
    memory_bytes: int = 16 << 30
    processes: int = 512
    file_bytes: int = 4 << 30

    def __post_init__(self):
        for name, value in asdict(self).items():
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < math.inf:
                raise ValueError(f"grading limit {name} must be a positive, finite number, got {name}={value!r}")


def _not_run(reason: str) -> dict:
    return {"output_type": "error", "ename": NOT_RUN, "evalue": reason, "traceback": [f"{NOT_RUN}: {reason}"]}


def execute(nb, workdir: Path, limits: Limits, readonly: Sequence[Path] = (), env: Mapping[str, str] | None = None,
            log=None):
    """``nb`` executed in ``workdir`` (an empty folder it may write) under ``limits``, contained as the module
    says; ``readonly`` are the extra folders it may read (where they exist). Never raises for what the notebook
    does: a cell that fails, times out or is never reached carries the error in its outputs."""
    import nbformat

    workdir = Path(workdir).resolve()
    problem = isolation_problem()
    if problem and log:
        log(f"grading without isolation ({problem}): the submission runs in a private copy with limits on time, "
            f"memory and processes, but can read and write every file the grading user can")
    for cell in nb.cells:  # what a cell shows if grading stops before it
        if cell.cell_type == "code" and cell.source.strip():
            cell.outputs = [nbformat.from_dict(_not_run("grading stopped before this cell ran"))]
            cell.execution_count = None
    nbformat.write(nb, workdir / NOTEBOOK)
    spec = dict(workdir=str(workdir), limits=asdict(limits), isolate=problem is None,
                readonly=[str(Path(p).resolve()) for p in [*_python_paths(), *readonly] if Path(p).exists()],
                env=_environment(workdir, env or {}))
    base = Path(tempfile.mkdtemp(prefix="memcap-sandbox-"))
    base.chmod(0o711)  # the sandbox's user passes through to its new root's mount point
    try:
        (base / "spec.json").write_text(json.dumps(spec))
        if problem is None and os.geteuid() == 0:
            _chown(workdir, SANDBOX_ID)
        proc = subprocess.Popen([sys.executable, "-m", "memcap.book.sandbox", str(base / "spec.json")],
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                start_new_session=True)
        why = "grading stopped before this cell ran"
        try:
            out, _ = proc.communicate(timeout=limits.notebook_seconds + GRACE_SECONDS)
            if proc.returncode != 0:
                tail = out.decode(errors="replace").strip().splitlines()[-1:] or [f"exit status {proc.returncode}"]
                why = f"grading stopped before this cell ran: the notebook's run ended with {tail[0][:300]}"
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            why = f"grading stopped before this cell ran: the notebook ran past its limit of {limits.notebook_seconds:g} s"
    finally:
        shutil.rmtree(base, ignore_errors=True)
    try:
        done = nbformat.read(workdir / NOTEBOOK, as_version=4)
        if len(done.cells) != len(nb.cells):
            raise ValueError("cells added or removed")
    except Exception:  # noqa: BLE001 - a damaged or rewritten file: nothing of it is trusted
        done = nb
    for cell, mine in zip(done.cells, nb.cells):
        cell.source, cell.metadata = mine.source, mine.metadata  # the submission cannot rewrite what is graded
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error" and out.get("ename") == NOT_RUN:
                out["evalue"], out["traceback"] = why, [f"{NOT_RUN}: {why}"]
    return done


def _chown(path: Path, uid: int) -> None:
    os.chown(path, uid, uid)
    for root, dirs, files in os.walk(path):
        for name in dirs + files:
            os.chown(os.path.join(root, name), uid, uid, follow_symlinks=False)


def _python_paths() -> list[Path]:
    """What the kernel needs to read: the Python installation and environment, and this package."""
    import memcap

    paths = [Path(sys.base_prefix), Path(sys.prefix), Path(sys.executable).resolve().parent,
             Path(memcap.__file__).resolve().parent]
    return list(dict.fromkeys(p.resolve() for p in paths))


def _environment(workdir: Path, extra: Mapping[str, str]) -> dict[str, str]:
    """A clean environment: nothing of the grader's (no tokens, no paths to its files), homes in the work folder."""
    home = workdir / ".home"
    env = {"PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin", "HOME": str(home),
           "TMPDIR": "/tmp", "LANG": "C.UTF-8", "PYTHONNOUSERSITE": "1", "MPLBACKEND": "Agg",
           "MPLCONFIGDIR": str(home / "matplotlib"), "JUPYTER_RUNTIME_DIR": str(home / "jupyter"),
           "JUPYTER_CONFIG_DIR": str(home / "jupyter-config"), "IPYTHONDIR": str(home / "ipython"),
           "VIRTUAL_ENV": sys.prefix}
    keep = ("MEMCAP_WORKERS", "MEMCAP_TORCH", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "TZ")
    env.update({k: os.environ[k] for k in keep if k in os.environ})
    env.update(extra)
    return env


_PROBED: list[str | None] = []


def isolation_problem() -> str | None:
    """None when namespaces contain a submission here; else why not, in a few words (probed once, by running an
    empty sandbox)."""
    if not _PROBED:
        if sys.platform != "linux":
            _PROBED.append(f"{sys.platform} has no Linux namespaces")
        elif platform.machine() not in _PIVOT_ROOT:
            _PROBED.append(f"pivot_root is not known on {platform.machine()}")
        else:
            with tempfile.TemporaryDirectory(prefix="memcap-probe-") as tmp:
                Path(tmp).chmod(0o711)
                work = Path(tmp) / "work"
                work.mkdir()
                spec = Path(tmp) / "spec.json"
                spec.write_text(json.dumps(dict(workdir=str(work), limits=asdict(Limits(60, 60)), isolate=True,
                                                readonly=[str(p) for p in _python_paths()], env={}, probe=True)))
                if os.geteuid() == 0:
                    _chown(work, SANDBOX_ID)
                try:
                    proc = subprocess.run([sys.executable, "-m", "memcap.book.sandbox", str(spec)],
                                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
                    lines = (proc.stdout + proc.stderr).strip().splitlines()
                    ok = proc.returncode == 0 and lines[-1:] == ["contained"]
                    _PROBED.append(None if ok else (lines[-1] if lines else f"exit status {proc.returncode}"))
                except subprocess.TimeoutExpired:
                    _PROBED.append("the namespace probe did not answer in 60 s")
    return _PROBED[0]


# --- inside the helper process -------------------------------------------------------------------------------------

def _libc():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
    return libc


def _check(rc: int, what: str) -> None:
    if rc != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _mount(libc, src, dst, fstype, flags, data=None) -> None:
    enc = lambda s: None if s is None else str(s).encode()  # noqa: E731
    _check(libc.mount(enc(src), enc(dst), enc(fstype), flags, enc(data)), f"mount {src} on {dst}")


def _bind(libc, src: str, fd: int | None, root: Path, writable: bool = False) -> None:
    """Bind ``src`` (opened as ``fd`` while its path could still be walked) at the same path under ``root``,
    read-only unless ``writable``; a symlink (``fd`` None) is copied as one."""
    dst = root / src.lstrip("/")
    dst.parent.mkdir(parents=True, exist_ok=True)
    if fd is None:
        if not dst.exists() and not dst.is_symlink():
            os.symlink(os.readlink(src), dst)
        return
    handle = f"/proc/self/fd/{fd}"
    if os.path.isdir(handle):
        dst.mkdir(exist_ok=True)
    elif not dst.exists():
        dst.touch()
    _mount(libc, handle, dst, None, _MS["BIND"] | _MS["REC"])
    st = os.statvfs(dst)  # a remount must keep the flags the original mount locks (nosuid, nodev, atime)
    keep = st.f_flag & (_MS["NOSUID"] | _MS["NODEV"] | _MS["NOEXEC"] | _MS["NOATIME"] | _MS["NODIRATIME"])
    keep |= _MS["RELATIME"] if st.f_flag & 4096 else 0
    flags = _MS["BIND"] | _MS["REMOUNT"] | keep | _MS["NOSUID"] | (0 if writable else _MS["RDONLY"])
    _mount(libc, None, dst, None, flags)


def _write(path: str, text: str) -> None:
    with open(path, "w") as f:
        f.write(text)


def _loopback_up() -> None:
    import fcntl
    import socket
    import struct

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        flags = struct.unpack("16sH", fcntl.ioctl(s, 0x8913, struct.pack("16sH14s", b"lo", 0, b""))[:18])[1]
        fcntl.ioctl(s, 0x8914, struct.pack("16sH14s", b"lo", flags | 1, b""))  # SIOCSIFFLAGS, IFF_UP


def _contain(spec: dict) -> None:
    """In the new namespaces (pid 1 there): the new root, the pivot, loopback, and a nested user namespace that
    locks every mount as it is (read-only stays read-only even for its root)."""
    libc = _libc()
    work, root = spec["workdir"], Path(spec["newroot"])
    # open what is bound while the grading user's rights still walk its path (a pytest folder or /root is 0700),
    # then become the sandbox's user, whose files the new root's tmpfs can hold
    binds = [(src, None if os.path.islink(src) else os.open(src, os.O_PATH))
             for src in [*SYSTEM, *spec["readonly"]] if os.path.lexists(src)]
    work_fd = os.open(work, os.O_PATH)
    devices = {node: os.open(f"/dev/{node}", os.O_PATH) for node in ("null", "zero", "full", "random", "urandom")}
    _mount(libc, None, "/", None, _MS["REC"] | _MS["PRIVATE"])
    try:
        os.setgroups([])  # the grading user's groups stay outside
    except OSError:
        pass  # setgroups is denied where the grader is not root: its groups are its own anyway
    os.setresgid(0, 0, 0)
    os.setresuid(0, 0, 0)
    libc.prctl(4, 1, 0, 0, 0)  # PR_SET_DUMPABLE, which the change of user cleared: /proc/self is ours again
    _mount(libc, "tmpfs", root, "tmpfs", _MS["NOSUID"] | _MS["NODEV"], "mode=0755,size=16m")
    dev = root / "dev"
    dev.mkdir(exist_ok=True)
    _mount(libc, "tmpfs", dev, "tmpfs", _MS["NOSUID"], "mode=0755,size=1m")
    for node, fd in devices.items():
        (dev / node).touch()
        _mount(libc, f"/proc/self/fd/{fd}", dev / node, None, _MS["BIND"])
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"),
                         ("stderr", "/proc/self/fd/2")):
        os.symlink(target, dev / name)
    size = int(spec["limits"]["file_bytes"])
    for tmp in (dev / "shm", root / "tmp"):
        tmp.mkdir(exist_ok=True)
        _mount(libc, "tmpfs", tmp, "tmpfs", _MS["NOSUID"] | _MS["NODEV"], f"mode=1777,size={size}")
    for src, fd in binds:
        _bind(libc, src, fd, root)
    _bind(libc, work, work_fd, root, writable=True)
    (root / "proc").mkdir(exist_ok=True)
    _mount(libc, "proc", root / "proc", "proc", _MS["NOSUID"] | _MS["NODEV"] | _MS["NOEXEC"])
    for fd in [fd for _, fd in binds if fd is not None] + [work_fd, *devices.values()]:
        os.close(fd)
    os.chdir(root)
    (root / ".oldroot").mkdir()
    _check(libc.syscall(_PIVOT_ROOT[platform.machine()], b".", b".oldroot"), "pivot_root")
    os.chroot(".")
    _check(libc.umount2(b"/.oldroot", 2), "umount the old root")  # MNT_DETACH
    os.rmdir("/.oldroot")
    _mount(libc, None, "/", None, _MS["BIND"] | _MS["REMOUNT"] | _MS["RDONLY"] | _MS["NOSUID"] | _MS["NODEV"])
    _loopback_up()
    _check(libc.unshare(_CLONE["NEWUSER"] | _CLONE["NEWNS"]), "unshare a nested user namespace")
    _write("/proc/self/setgroups", "deny")
    _write("/proc/self/uid_map", "0 0 1\n")
    _write("/proc/self/gid_map", "0 0 1\n")
    os.chdir(work)


def _limit(limits: dict) -> None:
    cpu = int(limits["notebook_seconds"] * (os.cpu_count() or 1)) + 60  # a backstop: the clock limits come first
    for which, value in ((resource.RLIMIT_AS, limits["memory_bytes"]), (resource.RLIMIT_NPROC, limits["processes"]),
                         (resource.RLIMIT_FSIZE, limits["file_bytes"]), (resource.RLIMIT_CPU, cpu),
                         (resource.RLIMIT_CORE, 0)):
        resource.setrlimit(which, (int(value), int(value)))


def _helper(spec_path: str) -> int:
    """The helper: namespaces (or not), limits, then the runner in the working folder."""
    spec = json.loads(Path(spec_path).read_text())
    spec["newroot"] = str(Path(spec_path).parent / "newroot")
    Path(spec["newroot"]).mkdir(exist_ok=True)
    run = [sys.executable, "-m", "memcap.book.sandbox", "--run", spec["workdir"],
           str(spec["limits"]["cell_seconds"]), str(spec["limits"]["notebook_seconds"])]
    if spec.get("probe"):
        run = [sys.executable, "-c", "import os, sys; print('contained' if not os.path.exists(sys.argv[1]) "
                                     "else 'the probe still sees the host')", spec_path]
    if not spec["isolate"]:
        os.chdir(spec["workdir"])
        _limit(spec["limits"])
        os.execve(run[0], run, spec["env"])
    libc = _libc()
    ready_r, ready_w = os.pipe()
    go_r, go_w = os.pipe()
    child = os.fork()
    if child == 0:  # unshares, waits for its uid map, then forks pid 1 of the new pid namespace
        try:
            libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
            flags = sum(_CLONE.values())
            _check(libc.unshare(flags), "unshare user, mount, pid, network and IPC namespaces")
            os.write(ready_w, b"1")
            if os.read(go_r, 1) != b"1":
                os._exit(3)
            inner = os.fork()
            if inner == 0:
                try:
                    libc.prctl(1, signal.SIGKILL, 0, 0, 0)
                    _contain(spec)
                    libc.prctl(38, 1, 0, 0, 0)  # PR_SET_NO_NEW_PRIVS
                    _limit(spec["limits"])
                    os.execve(run[0], run, spec["env"])
                except BaseException as err:  # noqa: BLE001 - one line for the grader, then out
                    print(f"{type(err).__name__}: {err}", flush=True)
                    os._exit(4)
            _, status = os.waitpid(inner, 0)
            os._exit(os.waitstatus_to_exitcode(status) & 0xFF)
        except BaseException as err:  # noqa: BLE001
            print(f"{type(err).__name__}: {err}", flush=True)
            os._exit(5)
    ok = os.read(ready_r, 1) == b"1"
    if ok:
        try:
            uid, gid = (SANDBOX_ID, SANDBOX_ID) if os.geteuid() == 0 else (os.geteuid(), os.getegid())
            if os.geteuid() != 0:
                _write(f"/proc/{child}/setgroups", "deny")
            _write(f"/proc/{child}/uid_map", f"0 {uid} 1\n")
            _write(f"/proc/{child}/gid_map", f"0 {gid} 1\n")
            os.write(go_w, b"1")
        except OSError as err:
            print(f"could not map the sandbox's user ({err.strerror})", flush=True)
            os.write(go_w, b"0")
    _, status = os.waitpid(child, 0)
    return os.waitstatus_to_exitcode(status)


def _run(workdir: str, cell_seconds: float, notebook_seconds: float) -> int:
    """The runner: execute the notebook cell by cell, each within its limit and the notebook's remaining time,
    saving it after every cell (so what ran is kept if the notebook is stopped)."""
    import nbformat
    from nbclient import NotebookClient

    path = Path(workdir) / NOTEBOOK
    nb = nbformat.read(path, as_version=4)
    deadline = time.monotonic() + notebook_seconds
    for d in ("matplotlib", "jupyter", "jupyter-config", "ipython"):
        (Path(workdir) / ".home" / d).mkdir(parents=True, exist_ok=True)

    def executed(cell, cell_index, execute_reply):
        content = execute_reply["content"]
        if content.get("ename") == TIMEOUT:  # the interrupt's KeyboardInterrupt would hide why
            cell.outputs = [o for o in cell.outputs if o.get("output_type") != "error"]
        if content.get("status") == "error" and not any(o.get("output_type") == "error" for o in cell.outputs):
            cell.outputs.append(nbformat.from_dict({"output_type": "error", "ename": content["ename"],
                                                    "evalue": content["evalue"],
                                                    "traceback": content.get("traceback") or []}))

    client = NotebookClient(nb, kernel_name="python3", allow_errors=True, interrupt_on_timeout=True,
                            record_timing=False, resources={"metadata": {"path": workdir}},
                            on_cell_executed=executed, startup_timeout=120)
    with client.setup_kernel():
        for i, cell in enumerate(nb.cells):
            if cell.cell_type != "code" or not cell.source.strip():
                continue
            left = deadline - time.monotonic()
            if left <= 1:
                break
            limit = min(cell_seconds, left)
            why = (f"this cell ran past the grading limit of {cell_seconds:g} s per cell" if limit == cell_seconds
                   else f"this cell ran past the notebook's grading limit of {notebook_seconds:g} s")
            client.timeout = max(1, int(limit))
            client.error_on_timeout = {"ename": TIMEOUT, "evalue": why, "traceback": [f"{TIMEOUT}: {why}"]}
            client.execute_cell(cell, i)
            tmp = path.with_suffix(".tmp")
            nbformat.write(nb, tmp)
            os.replace(tmp, path)
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--run"]:
        sys.exit(_run(sys.argv[2], float(sys.argv[3]), float(sys.argv[4])))
    sys.exit(_helper(sys.argv[1]))
