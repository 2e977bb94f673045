"""What the test modules share (paths, reference loops, framework runs, bounds); no tests here.

A test module imports from ``tests.helpers``, never from another test module or from conftest.py
(tests/test_suite_layout.py checks it). Scripts run as child processes live here too.
"""
