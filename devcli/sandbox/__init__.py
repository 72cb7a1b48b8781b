"""The sandbox around the agent's commands: on Linux, bubblewrap gives the shell a read-only
view of the machine with only the task's folders writable, its own process namespace and,
on request, no network."""
