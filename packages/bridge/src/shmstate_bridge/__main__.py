"""``python -m shmstate_bridge publish|follow ...``"""

import sys

from .cli import main

sys.exit(main())
