from hazmap.cli import main

main()
