"""chainrule.nn: modules, parameters, functional ops, initialisation."""
from . import functional, init
from .parameter import Parameter, Buffer
from .modules import *  # noqa: F403
from . import parallel, utils
