print("kenning")
