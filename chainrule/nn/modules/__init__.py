"""nn modules: Module, the containers, and (from their owners) the layers."""
from .module import Module
from .container import ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential

__all__ = ["Module", "Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict"]
