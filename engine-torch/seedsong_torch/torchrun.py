"""torchrun, with a fix for PyTorch 1.13 on Python 3.11 (Debian 12's python3-torch).

torch 1.13's Std.from_str finds a redirect setting by iterating the Std flag enum, and Python 3.11
no longer yields the zero-valued NONE (nor the combined ALL) when iterating a flag enum: the
default `--redirects 0` becomes None and torchrun fails with "'NoneType' object has no attribute
'get'" before starting anything. PyTorch 2.0 builds the flag directly (Std(int(v))); this does the
same when the installed version needs it, then runs torchrun unchanged.
"""

import re
import sys


def _patch_redirects() -> None:
    try:
        from torch.distributed.elastic.multiprocessing import api
    except ImportError:
        return
    if api.Std.from_str("0") is not None:
        return

    def from_str(vm: str):
        if re.match(api._VALUE_REGEX, vm):
            return api.Std(int(vm))
        if re.match(api._MAPPING_REGEX, vm):
            return {int(k): api.Std(int(v)) for k, v in (part.split(":") for part in vm.split(","))}
        raise ValueError(f"{vm} does not match: <{api._VALUE_REGEX}> or <{api._MAPPING_REGEX}>")

    api.Std.from_str = staticmethod(from_str)


def main() -> None:
    _patch_redirects()
    from torch.distributed.run import main as torchrun_main

    sys.argv[0] = "torchrun"
    torchrun_main()


if __name__ == "__main__":
    main()
