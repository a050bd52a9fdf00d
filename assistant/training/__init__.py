"""Training (issue 15): the 70/20/10 model at work.

Nothing is imported here, so that importing one module of the package (a table module the
storage registers) loads no other: the role-play practice is :mod:`assistant.training.roleplay`.
"""
