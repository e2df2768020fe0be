@echo off
rem Windows: customize.py derives everything from Python (platform, os.cpu_count, disk usage).
type nul > tmp-lscpu.out
