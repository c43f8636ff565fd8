"""recovery-bot: a recovery-support chatbot for people affected by opioid addiction."""

import os as _os

# One message is a handful of small matrix products (well under a millisecond on one core).
# Multi-threaded BLAS only adds hand-offs between threads, and on a busy two-core machine it made
# decide() 30 times slower. Set before numpy is first imported; an operator's own setting wins.
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    _os.environ.setdefault(_name, "1")

__version__ = "0.1.0"
