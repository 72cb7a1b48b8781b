from devcli.cli import main

main()
