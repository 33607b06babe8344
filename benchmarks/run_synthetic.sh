#!/usr/bin/env bash
# Train, evaluate (protocol B, and A for picking) and export every model on the synthetic dataset,
# then collect the results into benchmarks/results_synthetic.md. CPU, minutes per model.
# Usage: bash benchmarks/run_synthetic.sh [model ...]   (default: eqtransformer phasenet seismoe seismollm)
set -euo pipefail
cd "$(dirname "$0")/.."
models=("${@:-eqtransformer phasenet seismoe seismollm}")
for model in ${models[@]}; do
    cfg=benchmarks/configs/synthetic_${model}.json
    run=benchmarks/runs/synthetic_${model}
    echo "== ${model}"
    start=$(date +%s)
    python benchmarks/train.py "$cfg" --out "$run"
    python benchmarks/eval.py --model_path "$run/checkpoints/best.ckpt" --config "$cfg" --protocol-a \
        --export "synthetic_${model}" > "$run/eval_stdout.json"
    echo "${model}: $(( $(date +%s) - start )) s (train + eval)" | tee -a benchmarks/runs/timings.txt
done
python benchmarks/collect_results.py benchmarks/runs --out benchmarks/results_synthetic.md
# the exported weights, loaded offline with from_pretrained, annotate ObsPy streams of test traces
declare -A cls=([seismollm]=SeisMoLLM [seismoe]=SeisMoE [eqtransformer]=EQTransformer [phasenet]=PhaseNet)
specs=(); for model in ${models[@]}; do specs+=("${cls[$model]}:synthetic_${model}"); done
python benchmarks/annotate_exported.py "${specs[@]}"
