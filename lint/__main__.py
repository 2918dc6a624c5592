from compose_policy.cli import main

main()
