"""chainrule.optim: optimizers and learning-rate schedulers, as ``torch.optim``.

>>> opt = chainrule.optim.Adam(model.parameters(), lr=1e-3)
>>> sched = chainrule.optim.lr_scheduler.StepLR(opt, step_size=10)
"""
from . import lr_scheduler
from .adagrad import Adagrad
from .adam import Adam
from .adamax import Adamax
from .adamw import AdamW
from .nadam import NAdam
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["Adagrad", "Adam", "Adamax", "AdamW", "lr_scheduler", "NAdam", "Optimizer", "RMSprop", "SGD"]
