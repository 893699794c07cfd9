import sys

from avp.cli import main

sys.exit(main())
