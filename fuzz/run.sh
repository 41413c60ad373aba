#!/usr/bin/env bash
# Runs the fuzz targets one after another (one libFuzzer job at a time), then minimizes
# each corpus. Usage: fuzz/run.sh [seconds per target, default 600] [targets...]
# Logs go to fuzz/logs/<target>.log (not committed); crashes to fuzz/artifacts/<target>/.
#
# Builds (stable toolchain: RUSTC_BOOTSTRAP=1 unlocks the nightly flags cargo-fuzz passes):
#   subst       AddressSanitizer (the default), debug assertions and overflow checks on (-a);
#   yaml_model, yaml_structure, analysis  no sanitizer (-s none, about 4x the executions per second; they
#               are safe Rust, and tree-sitter's C code is not instrumented either way), -a.
set -euo pipefail
cd "$(dirname "$0")"
secs=${1:-600}
shift || true
targets=("${@:-subst yaml_model yaml_structure analysis}")
read -r -a targets <<<"${targets[*]}"
export RUSTC_BOOTSTRAP=1

bin_dir() {
  if [ "$1" = subst ]; then echo target/x86_64-unknown-linux-gnu/release; else echo target/nosan/x86_64-unknown-linux-gnu/release; fi
}

flags() {
  case "$1" in
    subst) echo "-dict=dict/subst.dict -max_len=512 -timeout=10" ;;
    yaml_model) echo "-dict=dict/yaml.dict -max_len=8192 -timeout=10" ;;
    yaml_structure) echo "-max_len=4096 -timeout=20" ;;
    analysis) echo "-dict=dict/analysis.dict -max_len=12288 -timeout=20" ;;
  esac
}

mkdir -p logs
for t in "${targets[@]}"; do
  if [ "$t" = subst ]; then
    cargo fuzz build -O -a "$t"
  else
    cargo fuzz build -O -a -s none --target-dir target/nosan "$t"
  fi
  mkdir -p "artifacts/$t" "corpus/$t"
  before=$(ls "corpus/$t" | wc -l)
  # shellcheck disable=SC2046
  "$(bin_dir "$t")/$t" -max_total_time="$secs" -print_final_stats=1 -rss_limit_mb=3072 \
    $(flags "$t") -artifact_prefix="artifacts/$t/" "corpus/$t" >"logs/$t.log" 2>&1 || true
  echo "$t: corpus before run: $before files" >>"logs/$t.log"
done

# Minimize each corpus (libFuzzer -merge=1 into a fresh folder, which replaces the corpus).
for t in "${targets[@]}"; do
  before=$(ls "corpus/$t" | wc -l)
  if [ "$t" = subst ]; then
    cargo fuzz cmin -O -a "$t" "corpus/$t" -- -rss_limit_mb=3072 $(flags "$t") >"logs/$t.cmin.log" 2>&1
  else
    cargo fuzz cmin -O -a -s none --target-dir target/nosan "$t" "corpus/$t" -- -rss_limit_mb=3072 $(flags "$t") >"logs/$t.cmin.log" 2>&1
  fi
  echo "$t: cmin $before -> $(ls "corpus/$t" | wc -l) files, $(du -sh "corpus/$t" | cut -f1)" | tee -a "logs/$t.cmin.log"
done
