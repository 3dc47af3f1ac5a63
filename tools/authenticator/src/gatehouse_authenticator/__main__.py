from gatehouse_authenticator.cli import main

main()
