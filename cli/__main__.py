from veracity.cli.main import main

main()
