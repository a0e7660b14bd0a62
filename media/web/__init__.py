"""Every room HTTP handler: routes, the room socket, pages, guests, orders, team sign-in; templates and static."""
