"""`trip-agent eval`: run scenario files against models and measure the agent-plus-elicitation experience.

scenario.py loads the files, humans.py answers questions by policy, runner.py runs one scenario
against one model, summary.py turns a transcript into numbers, report.py shows and charts them.
"""
