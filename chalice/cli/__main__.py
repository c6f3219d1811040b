"""Allow ``python -m chalice.cli`` as an alternative to the ``chalice`` script."""
from chalice.cli import main

if __name__ == '__main__':
    main()
