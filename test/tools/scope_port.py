#!/usr/bin/env python3
"""test/tools/scope_port.py: port a poly-fk-*.spec to a scoped association (scope column acct) against
a native composite foreign key twin.  Usage: scope_port.py in.spec out.spec name"""
import re, sys

src, dst, name = sys.argv[1], sys.argv[2], sys.argv[3]
text = open(src).read()
setup_start = text.index('setup\n{')
setup_end = text.index('\n}\n', setup_start)
setup = text[setup_start:setup_end]
rest = text[setup_end:]

targets = set(re.findall(r"targets => ARRAY\['(\w+\.\w+)'", setup))
targets |= set(re.findall(r"REFERENCES (\w+\.\w+) \(", setup))

def close_paren(s, i):
    depth = 0
    for j in range(i, len(s)):
        if s[j] == '(':
            depth += 1
        elif s[j] == ')':
            depth -= 1
            if depth == 0:
                return j
    raise ValueError

out = []
pos = 0
for m in re.finditer(r"CREATE TABLE (\w+\.\w+) \(", setup):
    table = m.group(1)
    open_at = m.end() - 1
    close_at = close_paren(setup, open_at)
    cols = setup[open_at + 1:close_at]
    if table in targets:
        pk = re.search(r"(\w+) (int|bigint) PRIMARY KEY", cols)
        assert pk, table
        cols = cols.replace(pk.group(0), f"{pk.group(1)} {pk.group(2)}")
        cols += f", acct int NOT NULL DEFAULT 1, PRIMARY KEY (acct, {pk.group(1)})"
    else:
        cols += ", acct int DEFAULT 1"
    out.append(setup[pos:open_at + 1])
    out.append(cols)
    pos = close_at
out.append(setup[pos:])
setup = ''.join(out)

# native twins: composite keys; SET NULL on delete keeps the tenant
setup = re.sub(r"FOREIGN KEY \((\w+)\) REFERENCES (\w+\.\w+) \((\w+)\)",
               r"FOREIGN KEY (acct, \1) REFERENCES \2 (acct, \3)", setup)
setup = re.sub(r"ON DELETE SET NULL", r"ON DELETE SET NULL (ref_id)", setup)
# polyref: scoped by acct
setup = re.sub(r"(SELECT polyref\.declare\((?:[^;])*?)\);",
               r"\1,\n      scope_columns => ARRAY['acct']);", setup)
# the anti-join of the verdict: the same account
setup = re.sub(r"AND t\.(\w+) = s\.ref_id\)", r"AND t.\1 = s.ref_id AND t.acct = s.acct)", setup)

header = (f"# {name}: {src.split('/')[-1]} on a scoped association (scope_columns =>\n"
          "# ARRAY['acct'], SPEC: Scoped associations) against a native composite\n"
          "# foreign key twin (FOREIGN KEY (acct, ref_id) REFERENCES t (acct, key)), with\n"
          "# the same outcomes.  Every table gains acct int DEFAULT 1 as its last column\n"
          "# (the steps' INSERTs leave it to its default); each target's key becomes\n"
          "# PRIMARY KEY (acct, key); native ON DELETE SET NULL becomes SET NULL (ref_id),\n"
          "# which keeps the tenant as polyref's set null does.  Generated from\n"
          f"# {src.split('/')[-1]} by test/tools/scope_port.py; the\n"
          "# original's comments follow.\n#\n")
open(dst, 'w').write(header + text[:setup_start] + setup + rest)
