"""Start `main.py` runs without paying the connector's import cost each time.

Importing airbyte-cdk takes 2.5-3 s of CPU in every new interpreter (its `__init__` imports the whole
CDK, sources included), and the end-to-end suite starts `main.py` a few hundred times. So each pytest
process keeps one *zygote*: an interpreter that has imported the connector (PRELOAD) once and forks
a child per run. The child takes over the caller's stdin, stdout and stderr, argv, working
directory and environment, then runs `main.py` with `runpy` at the top level, so that its exit code,
uncaught exceptions (through the CDK's `sys.excepthook`) and interpreter shutdown are those of
`python main.py`. The tests keep `subprocess` as it is: the command they start is this module's
small client,

    python -S integration_tests/launcher.py main.py write --config ...

which hands its three standard streams to the zygote (over a Unix socket, SCM_RIGHTS) and exits with
the child's status: the same code, or killed by the same signal. When the client is killed (a crash
test's SIGKILL, a timeout), the zygote SIGKILLs the child at once.

`ONTRAPORT_IT_FRESH_PROCESS=1` makes the harness start `python main.py` directly instead, as before.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the client runs with `python -S` and imports only what it needs
    import selectors

SOCKET_ENV = "ONTRAPORT_IT_ZYGOTE"
FRESH_ENV = "ONTRAPORT_IT_FRESH_PROCESS"
LAUNCHER = Path(__file__).resolve()
ROOT = LAUNCHER.parent.parent
# What the runs import: run.py itself is light (it imports DestinationOntraport only for commands
# other than `spec`), so the zygote imports both.
PRELOAD = ("destination_ontraport.run", "destination_ontraport.destination")
CLIENT_FAILED = 70  # the client could not get a run started or finished (EX_SOFTWARE)
MAX_REQUEST = 1 << 20
Runs = dict[int, tuple[socket.socket, int]]  # the zygote's runs: pid -> (client connection, pidfd)


# --- the client: what the tests start -------------------------------------------------------------


def client(argv: Sequence[str]) -> int:
    """Ask the zygote to run `argv` (`main.py` and its arguments) with our stdio; return its status."""
    path = os.environ.get(SOCKET_ENV)
    if not path:
        print(f"launcher: {SOCKET_ENV} is not set", file=sys.stderr)
        return CLIENT_FAILED
    request = {"argv": list(argv), "cwd": os.getcwd(), "env": dict(os.environ)}
    with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as conn:
        conn.connect(path)
        socket.send_fds(conn, [json.dumps(request).encode()], [0, 1, 2])
        started = conn.recv(64)  # the child's pid
        finished = conn.recv(64)  # its wait status as an exit code: negative for a signal
    if not started or not finished:
        print("launcher: the zygote went away before the run finished", file=sys.stderr)
        return CLIENT_FAILED
    code = int(finished)
    if code < 0:  # die of the same signal, so that the caller's returncode is the same
        signal.signal(-code, signal.SIG_DFL)
        os.kill(os.getpid(), -code)
    return code


# --- the zygote ------------------------------------------------------------------------------------


def serve(path: str) -> dict[str, object]:
    """Import the connector, then fork a child per request. Returns only in a child, with its request
    (the caller then becomes the run); the zygote itself loops until it is terminated."""
    import selectors

    _preload()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    listener.bind(path)
    listener.listen(64)
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ, "accept")
    runs: Runs = {}
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print("ready", flush=True)  # to the harness, on the zygote's own stdout (a pipe)
    while True:
        for key, _ in selector.select():
            if key.data == "accept":
                request = _accept(listener, selector, runs)
                if request is not None:  # in the forked child
                    return request
            elif key.data[0] == "client":  # the client went away (killed): so does its run
                _client_gone(key, selector, runs)
            else:
                _reap(key.data[1], selector, runs)


def _preload() -> None:
    """Import the connector once, in the zygote, so that every child starts with it imported."""
    import gc
    import importlib
    import threading

    for module in PRELOAD:
        importlib.import_module(module)
    assert "airbyte_cdk" in sys.modules, "PRELOAD no longer imports the CDK: each run would pay for it"
    gc.freeze()  # the imported objects stay out of the children's collections (and their pages shared)
    assert threading.active_count() == 1, "the zygote must not run threads: a fork keeps only one"


def _accept(
    listener: socket.socket, selector: selectors.BaseSelector, runs: Runs
) -> dict[str, object] | None:
    """Take a client's request and fork its run: the child gets the request, the zygote None."""
    import selectors

    conn, _ = listener.accept()
    try:
        payload, fds, _, _ = socket.recv_fds(conn, MAX_REQUEST, 3)
    except OSError:
        conn.close()
        return None
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        selector.close()
        listener.close()
        for other, pidfd in runs.values():
            other.close()
            os.close(pidfd)
        request: dict[str, object] = json.loads(payload)
        request["fds"] = fds
        request["conn"] = conn
        return request
    for fd in fds:
        os.close(fd)
    pidfd = os.pidfd_open(pid)
    runs[pid] = (conn, pidfd)
    selector.register(pidfd, selectors.EVENT_READ, ("exited", pid))
    selector.register(conn, selectors.EVENT_READ, ("client", pid))
    with contextlib.suppress(OSError):  # a client gone already reads as closed next round
        conn.send(str(pid).encode())
    return None


def _client_gone(key: selectors.SelectorKey, selector: selectors.BaseSelector, runs: Runs) -> None:
    """The client of a run went away (killed): kill the run too."""
    if key.data[1] in runs:  # not reaped in this round already (its pid is still ours)
        os.kill(key.data[1], signal.SIGKILL)
    with contextlib.suppress(KeyError, ValueError):  # unregistered or closed this round
        selector.unregister(key.fileobj)


def _reap(pid: int, selector: selectors.BaseSelector, runs: Runs) -> None:
    """A run exited: collect it and send its client the exit code."""
    conn, pidfd = runs.pop(pid)
    _, status = os.waitpid(pid, 0)
    selector.unregister(pidfd)
    os.close(pidfd)
    with contextlib.suppress(KeyError, OSError):  # KeyError, OSError: the client is gone
        selector.unregister(conn)
        conn.send(str(os.waitstatus_to_exitcode(status)).encode())
    conn.close()


def become(request: dict[str, object]) -> Path:
    """In the forked child: take over the client's streams, directory, environment and arguments."""
    conn = request["conn"]
    assert isinstance(conn, socket.socket)
    conn.close()
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    fds = request["fds"]
    assert isinstance(fds, list) and len(fds) == 3
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
        os.close(fd)
    env = request["env"]
    assert isinstance(env, dict)
    env.pop(SOCKET_ENV, None)
    os.environ.clear()
    os.environ.update(env)
    os.chdir(str(request["cwd"]))
    argv = request["argv"]
    assert isinstance(argv, list)
    script = Path(str(request["cwd"]), str(argv[0])).resolve()
    sys.argv = [str(script), *map(str, argv[1:])]
    sys.path[0] = str(script.parent)  # as `python main.py` has it
    return script


if __name__ == "__main__":
    if sys.argv[1:2] == ["--serve"]:
        sys.path[0] = str(ROOT)  # not this folder: the runs see the path `python main.py` has
        child = serve(sys.argv[2])
        main = become(child)
        del child
        import runpy

        runpy.run_path(str(main), run_name="__main__")
    else:
        sys.exit(client(sys.argv[1:]))
