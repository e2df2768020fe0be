"""MLPerf inference for the cm-scripts-mlops scripts.

Two halves, split by the process they run in:

* in the tool-owned Python environment (a fresh subprocess; numpy, onnx, onnxruntime,
  mlperf_loadgen there): :mod:`.harness_main` (the LoadGen SUT/QSL driving a backend),
  :mod:`.digits` (train and export the digits MLP), :mod:`.export` (EfficientNet-Lite0 and
  ResNet50 ONNX builders, int8 quantisation, ImageNet class names), :mod:`.images` (image
  datasets and preprocessing), :mod:`.classify` (top-k labels of an image), :mod:`.perfref`
  (bare ONNX Runtime loop, MAC count);
* in the ``cm`` process (standard library only): :mod:`.pypath` (how our code reaches the
  subprocess), :mod:`.userconf`, :mod:`.logparse`, :mod:`.accuracy`, :mod:`.runner`
  (one LoadGen test end to end), :mod:`.records` (the flat result.json),
  :mod:`.submission` and :mod:`.checker`, :mod:`.datasets` (val_map format, the photos' labels),
  :mod:`.preprocessing` (parameters), :mod:`.appclassify` (the image-classification app).

How our code reaches the subprocess: the tool-owned venv gets only third-party wheels
(through get-generic-python-lib); the packages ``cmcore``, ``cm_backend_onnx``,
``cm_backend_tensorrt`` and ``cm_scripts_mlops`` are made importable there by a folder of
symlinks put on ``PYTHONPATH`` (:func:`.pypath.subprocess_env`), so the subprocess runs exactly
the code of the ``cm`` that started it, and nothing of the ``cm`` process's own site-packages
leaks in.
"""

SCENARIOS = ("Offline", "SingleStream", "MultiStream", "Server")
MODES = ("performance", "accuracy")
