"""Root pytest configuration: every test and every nbval kernel runs quietly and in quick mode."""

import os

os.environ.setdefault("CGAN_QUICK", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("MPLBACKEND", "Agg")
