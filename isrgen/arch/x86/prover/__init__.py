"""Property 3 of ``isrgen prove`` on x86: the machine code does what the model says."""
