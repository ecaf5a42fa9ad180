#!/usr/bin/env python
"""Django's command-line utility; the same as the `nongan` console command."""

from nongan.__main__ import main

if __name__ == "__main__":
    main()
