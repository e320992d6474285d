"""The pure core of pfbus: nothing here imports Twisted, opens sockets or touches a database."""
