"""One module per CLI command (or command group); ``simgen.cli`` registers them.

Options shared by several commands are declared once in ``options``. Import heavy
libraries (bpy, torch) inside the command functions so ``simgen --help`` stays instant.
To add a command: a module here with a function (or a ``typer.Typer`` sub-app), then
one line in ``simgen/cli.py``.
"""
