"""District pages rendered in worker processes while the calling process renders the national page.

Each worker is a fresh interpreter running this module's `main` from the same `pipelines` package
as the caller (whatever the working directory holds). It reads the page inputs once (a pickle in
a private temporary folder) and renders whole pages.
Not multiprocessing: its `spawn` re-imports the caller's main module, so a script without an
`if __name__ == "__main__":` guard started the pipeline again in every worker and left the pool
waiting forever (seen on Python 3.11); `fork` is unsafe with polars' and DuckDB's thread pools.
A worker that fails is an error naming it, with the end of its output.
"""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

# The worker's command: this package first on sys.path, so it runs the caller's code.
_CODE_ROOT = str(Path(__file__).resolve().parents[2])
_WORKER = ("import sys; sys.path.insert(0, sys.argv.pop(1)); "
           "from pipelines.dashboards.page_workers import main; sys.exit(main(sys.argv[1:]))")


class PageWorkerError(RuntimeError):
    pass


def render_in_workers(inputs, districts: Sequence[tuple[str, str]], workers: int,
                      render_here: Callable[[], Path]) -> list[Path]:
    """`inputs.district_page(code, name)` for every district, in `workers` processes, while
    `render_here()` runs in this one. Returns the district pages in the order given, then its page."""
    with tempfile.TemporaryDirectory(prefix="slm-pages-") as tmp:
        pickled = Path(tmp) / "inputs.pickle"
        pickled.write_bytes(pickle.dumps(inputs, protocol=pickle.HIGHEST_PROTOCOL))
        shares = [list(districts[i::workers]) for i in range(workers)]
        procs = [subprocess.Popen([sys.executable, "-c", _WORKER, _CODE_ROOT, str(pickled), json.dumps(share)],
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                 for share in shares if share]
        try:
            here = render_here()
            written: dict[tuple[str, str], Path] = {}
            for proc in procs:
                output, _ = proc.communicate()
                if proc.returncode != 0:
                    raise PageWorkerError(f"page worker {proc.args[-1]} failed (exit {proc.returncode}):\n"
                                          f"{output[-2000:]}")
                for line in output.splitlines():
                    if line.startswith("page\t"):
                        _, code, name, path = line.split("\t")
                        written[(code, name)] = Path(path)
        finally:
            for proc in procs:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
    missing = [d for d in districts if tuple(d) not in written]
    if missing:
        raise PageWorkerError(f"page workers wrote no page for {missing}")
    return [written[tuple(d)] for d in districts] + [here]


def main(argv: list[str]) -> int:
    inputs = pickle.loads(Path(argv[0]).read_bytes())
    for code, name in json.loads(argv[1]):
        path = inputs.district_page(code, name)
        print(f"page\t{code}\t{name}\t{path}", flush=True)
    return 0
