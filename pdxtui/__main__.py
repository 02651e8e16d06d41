from pdxtui.cli import main

raise SystemExit(main())
