from pyredis.cli import main

main()
