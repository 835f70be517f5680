"""Reports about a spec for people: the frame as a table, JSON and an SVG diagram (``isrgen layout``)."""
