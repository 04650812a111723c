"""
Read a valgrind memcheck log and fail if any error involves twisted-fast's
extension.  CPython itself reports a few spurious "uninitialised value"
errors under memcheck (for example int.from_bytes on os.urandom output,
which valgrind cannot see being written); those are counted and shown, but
only errors with a twisted-fast frame (_speedups, src/*.c) fail the check.

Usage: python .ci/valgrind_check.py LOGFILE
"""

import re
import sys


def errorRecords(text: str) -> list[str]:
    """
    Split a memcheck log into its error records.
    """
    records: list[str] = []
    current: list[str] = []
    for line in text.splitlines():
        body = re.sub(r"^==\d+== ?", "", line)
        if not line.startswith("=="):
            continue
        if body == "":
            if current:
                records.append("\n".join(current))
                current = []
            continue
        current.append(body)
    if current:
        records.append("\n".join(current))
    kinds = ("Invalid", "Conditional jump", "Use of uninitialised", "Syscall param",
             "Mismatched free", "Source and destination overlap")
    return [r for r in records if r.startswith(kinds)]


def main(path: str) -> int:
    with open(path) as f:
        records = errorRecords(f.read())
    ours = [r for r in records if "_speedups" in r or re.search(r"src/\w+\.c", r)]
    print(f"valgrind: {len(records)} error records, {len(ours)} in twisted-fast")
    for record in ours:
        print(record, end="\n\n")
    return 1 if ours else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
