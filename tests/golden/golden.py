#!/usr/bin/env python3
"""golden.py: runs misport on each capture of a TESTLIST and checks its EVE records.

TESTLIST lines: NAME CAPTURE [OPTIONS...] -- EXPECTATION [; EXPECTATION ...]
  CAPTURE is relative to pcaps/; OPTIONS are extra misport arguments.
  An EXPECTATION is: EVENT_TYPE [FIELD OP VALUE ...] count OP N
    FIELD is a dotted path into the record (alert.metadata.verdict); when the value at the path is
    a list, the test matches if any element matches. OP is one of = != >= <= > < ~ (~ is substring).
  Lines starting with # and blank lines are ignored.
Every record must also validate against the EVE schema when the validator is available.
Exit status: 0 all passed, 1 a test failed, 77 nothing could run.
"""
import json, os, re, shlex, subprocess, sys, tempfile

OPS = ["!=", ">=", "<=", "=", ">", "<", "~"]


def parse_clause(text):
    toks = shlex.split(text)
    if not toks:
        raise ValueError("empty expectation")
    etype, conds, count = toks[0], [], None
    for t in toks[1:]:
        for op in OPS:
            if op in t:
                field, value = t.split(op, 1)
                break
        else:
            raise ValueError(f"no operator in '{t}'")
        if field == "count":
            count = (op, int(value))
        else:
            conds.append((field, op, value))
    if count is None:
        count = (">=", 1)
    return etype, conds, count


def values_at(rec, path):
    cur = [rec]
    for part in path.split("."):
        nxt = []
        for c in cur:
            if isinstance(c, dict) and part in c:
                v = c[part]
                nxt.extend(v if isinstance(v, list) else [v])
        cur = nxt
    return cur


def compare(actual, op, want):
    if op == "~":
        return want in str(actual)
    if isinstance(actual, bool):
        actual = "true" if actual else "false"
    if isinstance(actual, (int, float)) and re.fullmatch(r"-?\d+(\.\d+)?", want):
        a, w = float(actual), float(want)
    else:
        a, w = str(actual), want
    return {"=": a == w, "!=": a != w, ">=": a >= w, "<=": a <= w, ">": a > w, "<": a < w}[op]


def matches(rec, etype, conds):
    if rec.get("event_type") != etype:
        return False
    for field, op, want in conds:
        vals = values_at(rec, field)
        if op == "!=":
            if any(compare(v, "=", want) for v in vals):
                return False
        elif not any(compare(v, op, want) for v in vals):
            return False
    return True


def main():
    misport, src, shared = sys.argv[1:4]
    testlist = os.path.join(src, "tests", "golden", "TESTLIST")
    validator = os.path.join(shared, "tools", "validate-eve")
    can_validate = os.path.exists(validator) and subprocess.run(
        ["/usr/bin/python3", "-c", "import jsonschema"], capture_output=True).returncode == 0
    if not can_validate:
        print("note: EVE schema validation skipped (validator or python3-jsonschema missing)")
    failures = ran = 0
    with open(testlist) as fh:
        lines = [(n, l.strip()) for n, l in enumerate(fh, 1)]
    for lineno, line in lines:
        if not line or line.startswith("#"):
            continue
        head, _, tail = line.partition(" -- ")
        parts = shlex.split(head)
        name, capture, extra = parts[0], parts[1], parts[2:]
        path = os.path.join(src, "pcaps", capture)
        if not os.path.exists(path):
            print(f"FAIL {name}: capture {capture} missing (TESTLIST:{lineno})")
            failures += 1
            continue
        with tempfile.TemporaryDirectory() as tmp:
            eve = os.path.join(tmp, "eve.json")
            cmd = [misport, "-q", "--seed", "1", "--eve", eve, "--flows", "-r", path] + extra
            cmd = [c.replace("{src}", src).replace("{tmp}", tmp).replace("{shared}", shared) for c in cmd]
            missing = [c for c in cmd if shared in c and not os.path.exists(c)]
            if missing:
                print(f"skip {name}: {missing[0]} is absent")
                continue
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
            ran += 1
            problems = []
            if proc.returncode != 0:
                problems.append(f"exit status {proc.returncode}: {proc.stderr.strip()[:300]}")
            records = []
            if os.path.exists(eve):
                with open(eve) as fh:
                    for i, l in enumerate(fh, 1):
                        try:
                            records.append(json.loads(l))
                        except ValueError as e:
                            problems.append(f"eve line {i} is not JSON: {e}")
                if can_validate:
                    v = subprocess.run(["/usr/bin/python3", validator, eve], capture_output=True, text=True)
                    if v.returncode != 0:
                        problems.append("schema: " + v.stdout.strip().splitlines()[0])
            for clause in [c for c in tail.split(";") if c.strip()]:
                etype, conds, (op, n) = parse_clause(clause)
                got = sum(1 for r in records if matches(r, etype, conds))
                if not compare(got, op, str(n)):
                    problems.append(f"'{clause.strip()}': {got} records match")
            if problems:
                failures += 1
                print(f"FAIL {name} ({capture}):")
                for p in problems:
                    print(f"    {p}")
                for r in records:
                    if r.get("event_type") == "alert":
                        print("    alert:", r["alert"]["signature"], r["alert"].get("metadata", {}).get("verdict"))
            else:
                print(f"ok   {name} ({len(records)} records)")
    print(f"{ran} golden tests, {failures} failed")
    if ran == 0:
        return 77
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
