#!/bin/bash
# Submits the array and its merge job in one go:
#   examples/slurm/submit.sh SHARDS INPUT OUT MERGED [sbatch options...]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
shards="$1" input="$2" out="$3" merged="$4"
shift 4
array=$(sbatch --parsable "$@" --array=0-$((shards - 1)) \
  --export=ALL,INPUT="$input",OUT="$out" "$here/predict-array.sbatch")
array="${array%%;*}"
merge=$(sbatch --parsable "$@" --dependency=afterok:"$array" \
  --export=ALL,OUT="$out",MERGED="$merged" "$here/merge.sbatch")
echo "array job $array ($shards tasks), merge job ${merge%%;*} (runs after all succeed)"
