#!/usr/bin/env python3
"""Writes seed inputs for the fuzz targets into fuzz/corpus/<target>/seed-*, from the
fixtures (fixtures/home-ops and fixtures/defects) and hand-written tricky cases.

The formats are those decoded by harness.rs (see its doc comments):
- subst:      UTF-8 text;
- yaml_model: one YAML file, or `text 0xFF inserted 0xFF <u16 start><u16 len>` (an edit);
- analysis:   `control 0x00 <path index> content (0x00 <path index> content)*`, path
              indexes into vocab/paths.txt;
- yaml_structure: any bytes (structure.rs turns them into YAML): pseudo-random inputs whose
              first bytes ask for a deep chain of each kind and length, many documents,
              noise (the same generator as lsp/tests/fuzz_regressions.rs).

Run from anywhere: python3 fuzz/make_seeds.py
"""
import hashlib
import os
import re
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
FIX = os.path.join(ROOT, "fixtures")
SOURCES = [os.path.join(FIX, "home-ops"), os.path.join(FIX, "defects")]
PATHS = [l.strip() for l in open(os.path.join(HERE, "vocab", "paths.txt")) if l.strip()]
MAX_FILES = 12


def write(target, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    name = "seed-" + hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def yaml_files():
    for src in SOURCES:
        for d, _, fs in sorted(os.walk(src)):
            for f in sorted(fs):
                if f.endswith((".yaml", ".yml")):
                    p = os.path.join(d, f)
                    yield p, open(p, "rb").read()


# ---- subst ---------------------------------------------------------------------------

HAND = [
    "", "$", "$$", "$$$", "${", "${}", "${a", "${a}", "$${a}", "$$${a}", "${a:=${b:=${c}}}",
    "${#}", "${##}", "${#a}", "${a:}", "${a::}", "${a:1:2:3}", "${a:-1}", "${a: -1}",
    "${a/b/c}", "${a//b}", "${a/#}", "${a/%/x}", "${a///}", "${a/\\//\\\\}", "${a^^}",
    "${a,,}", "${a^,}", "${a#*}", "${a##*[}", "${a%[!a-z]*}", "${a%%[]]}", "${a#[\\]}",
    "${é}", "${日本}", "${a日}", "${😀}", "${a:é}", "${a/😀/x}", "${d:1}", "${d:2:1}",
    "${SECRET}", "${SECRET:=x}", "${u:=${SECRET}}", "${!a}", "${a-b}", "${a+b}", "${a?b}",
    "${a:?b}", "${a:+b}", "${a=}", "${a==}", "${a:=}}", "}${a}{", "${a\n}", "${a\r\n}",
    "\ufeff${a}", "${a}\x00${b}", "$\\{a}", "\\${a}", "${a\\}}", "${a#\\}", "${a/\\",
    "${" * 70 + "}" * 70, "${a:=" * 70 + "x" + "}" * 70, "${a##" + "*" * 40 + "}",
    "${s#" + "[" * 20 + "}", "${c:9223372036854775807:9223372036854775807}",
    "${c:-9223372036854775808:-9223372036854775808}", "${c:99999999999999999999}",
]


def subst_seeds():
    seen = set(HAND)
    for _, data in yaml_files():
        text = data.decode("utf-8", "replace")
        for m in re.finditer(r"\$\{[^}\n]*\}?", text):
            seen.add(m.group(0))
        for line in text.splitlines():
            if "$" in line:
                seen.add(line.split(": ", 1)[-1].strip())
    oracle = open(os.path.join(ROOT, "lsp", "tests", "it", "subst_oracle.rs")).read()
    fixed = oracle[oracle.index("const FIXED"):oracle.index("];", oracle.index("const FIXED"))]
    for m in re.finditer(r'"((?:[^"\\]|\\.)*)"', fixed):
        seen.add(bytes(m.group(1), "utf-8").decode("unicode_escape").encode("latin-1").decode("utf-8"))
    for s in sorted(seen):
        write("subst", s.encode("utf-8"))
    return len(seen)


# ---- yaml_model ----------------------------------------------------------------------


def yaml_seeds():
    n = 0
    for i, (_, data) in enumerate(yaml_files()):
        write("yaml_model", data)
        n += 1
        if i % 8 == 0 and len(data) > 8:
            # An edit: replace a few bytes in the middle with text that often breaks YAML.
            start = len(data) // 2
            ins = [b"  x: ${A}\n", b"- ", b"{", b": ", b"\n---\n", b"\t", b"'", b"|\n  "][i // 8 % 8]
            edit = struct.pack("<HH", min(start, 0xFFFF), i % 5)
            write("yaml_model", data + b"\xff" + ins + b"\xff" + edit)
            n += 1
    for t in [b"", b"\xef\xbb\xbfa: 1\r\nb: 2\r\n", b"a: &x [*x]", b"- &a [a,a]\n- &b [*a,*a]\n- [*b,*b]\n",
              b"a:\n" + b"  " * 300 + b"b: 1\n", b"[" * 300 + b"]" * 300, b"---\n" * 50,
              b"key: |\n  ${A}\n---\nkind: ConfigMap\n", b"a: 1\na: 2\n", b"? a\n: b\n", b"!!binary aGk=\n"]:
        write("yaml_model", t)
        n += 1
    return n


# ---- analysis ------------------------------------------------------------------------


def encode(files, control=b"\x01\x11\x22\x33\x44"):
    """files: [(vocab path, bytes)] -> an analysis input."""
    out = bytearray(control)
    for path, data in files[:MAX_FILES]:
        assert b"\x00" not in data and b"\x01" not in data, path
        out += b"\x00" + bytes([PATHS.index(path)]) + data
    return bytes(out)


def repo_files(root):
    out = []
    for d, _, fs in sorted(os.walk(root)):
        for f in sorted(fs):
            if f.endswith((".yaml", ".yml", ".env", ".toml")):
                p = os.path.join(d, f)
                out.append((os.path.relpath(p, root), open(p, "rb").read()))
    return out


BASE = "undefined-variable"


def analysis_seeds():
    n = 0
    defects = os.path.join(FIX, "defects")
    base = repo_files(os.path.join(defects, BASE))
    dev_base = [(p, d) for p, d in base if p.startswith("kubernetes/clusters/dev/")]
    for name in sorted(os.listdir(defects)):
        d = os.path.join(defects, name)
        if not os.path.isdir(d):
            continue
        files = [(p, data) for p, data in repo_files(d) if p in PATHS]
        if files:
            write("analysis", encode(files, control=bytes([1 + 2 * (n % 2), 0x11, n + 1, 0x33, 0x44])))
            n += 1
    # home-ops folders, each placed as the app of the `dev` cluster of the base repo.
    hello = [p for p in PATHS if p.startswith("kubernetes/apps/hello/") and p.count("/") == 3]
    home = os.path.join(FIX, "home-ops")
    for d, _, fs in sorted(os.walk(home)):
        ys = sorted(f for f in fs if f.endswith(".yaml"))
        if not ys:
            continue
        free = [p for p in hello if os.path.basename(p) not in ys]
        files = list(dev_base)
        for f in ys[: MAX_FILES - len(dev_base)]:
            target = "kubernetes/apps/hello/" + f
            if target not in PATHS:
                target = free.pop(0)
            files.append((target, open(os.path.join(d, f), "rb").read()))
        write("analysis", encode(files, control=bytes([n % 4 or 4, 0x21, n % 251 + 1, 0x43])))
        n += 1
    # The home-ops cluster folders as the `dev` cluster.
    for c in ["infra", "apps"]:
        cd = os.path.join(home, "kubernetes", "clusters", c)
        files = []
        for p, data in repo_files(cd):
            target = "kubernetes/clusters/dev/" + p
            if target in PATHS:
                files.append((target, data))
        write("analysis", encode(files))
        n += 1
    # Small hand cases.
    write("analysis", encode([(".gitops-lsp.toml", b'[[cluster]]\nname = "dev"\npath = "kubernetes/clusters/dev"\n')] + dev_base))
    write("analysis", encode(dev_base + [("kubernetes/apps/hello/kustomization.yaml", b"resources:\n  - .\n  - ./kustomization.yaml\n")]))
    write("analysis", encode(dev_base + [("kubernetes/apps/hello/app.yaml", b"\xff\xfe not utf-8")]))
    write("analysis", encode(dev_base + [("kubernetes/apps/hello/app.env", b"A=1\nB\n=C\n")]))
    return n + 4


# ---- yaml_structure -------------------------------------------------------------------


def structure_seeds():
    state = 0x9E3779B97F4A7C15
    mask = (1 << 64) - 1

    def byte():
        nonlocal state
        state ^= (state << 13) & mask
        state ^= state >> 7
        state ^= (state << 17) & mask
        return state & 0xFF

    n = 0
    # Flags (structure.rs, `generate`): bit 0 a deep chain, bit 1 many documents, bit 2 a
    # leading `---`, bit 3 a final `...`, bit 4 noise. Then the chain's length (two bytes,
    # modulo 321) and kind (0-5).
    for i in range(40):
        data = bytearray(byte() for _ in range(1500))
        flags = [1, 1, 1, 3, 5, 9, 17, 0][i % 8]
        data[0] = flags
        data[1:3] = struct.pack(">H", i * 320 // 39)
        data[3] = i % 6
        write("yaml_structure", bytes(data))
        n += 1
    for size in [0, 1, 8, 64, 512]:
        write("yaml_structure", bytes(byte() for _ in range(size)))
        n += 1
    return n


if __name__ == "__main__":
    print("subst", subst_seeds())
    print("yaml_structure", structure_seeds())
    print("yaml_model", yaml_seeds())
    print("analysis", analysis_seeds())
