# Installed, the package registers this plugin through its pytest11 entry point (named like the module,
# so this line is then a no-op); it also lets a source checkout run without installing.
pytest_plugins = ["agents_compat.plugin"]
