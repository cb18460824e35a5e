"""Seedsong's PyTorch trainer: trains a Seedsong preset from a job folder with DistributedDataParallel
(started by torchrun) and writes the result as a Seedsong model folder. See engine-torch/README.md."""

__version__ = "1"
