import sys

from modelyard.main import main

sys.exit(main())
