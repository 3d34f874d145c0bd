"""Random-weight model with the real SmolVLM-256M-Instruct dimensions, fp32 + q4 decoder only: the quick variant of
`scripts/fixtures/run.sh --full-size` for a GPU machine that already has torch, transformers and onnxruntime (no venv,
no uint8/quantized variants, ~35 s on 16 cores).

    python3 scripts/device/full-size-model.py <outdir> <dir with the real config.json, tokenizer.json, ...>
"""

import os
import shutil
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "fixtures"))

import torch  # noqa: E402

import export_onnx  # noqa: E402
import models  # noqa: E402


def main():
    out, real_dir = sys.argv[1], sys.argv[2]
    torch.set_num_threads(os.cpu_count() or 1)
    t = time.time()
    cfg = models.make_config(real_dir, None)
    model = models.build_model(cfg, 20250101, dict(models.SPECS["tiny-gqa"]["init"]))
    models.write_model_folder(model, cfg, real_dir, out, 2048, 512)
    for fn in ("preprocessor_config.json", "processor_config.json", "generation_config.json"):
        shutil.copyfile(os.path.join(real_dir, fn), os.path.join(out, fn))
    onnx_dir = os.path.join(out, "onnx")
    export_onnx.export_all(model, onnx_dir)
    export_onnx.make_variants(onnx_dir, ["q4"], graphs=["decoder_model_merged"])
    print(f"full-size model in {out} ({time.time() - t:.0f}s)")


if __name__ == "__main__":
    main()
