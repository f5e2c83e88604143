"""`python main.py spec|check|write ...`: the connector as a person runs it."""

from destination_ontraport.run import run

if __name__ == "__main__":
    run()
