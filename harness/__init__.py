"""mixmerge: should you mix your RL domains or train them apart and merge?"""

__version__ = "0.1.0"
