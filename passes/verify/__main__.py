import sys

from passes.signing.verify import main

sys.exit(main())
