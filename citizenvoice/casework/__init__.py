"""The closed loop: cases from bad ratings, replies to citizens, improvement plans and appeals."""
