#!/bin/bash
"$T6_BIN_WITH_PATH" --version > tmp-ver.out
