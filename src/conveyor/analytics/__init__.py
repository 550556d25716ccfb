"""The read side: queries over the recorded history (orders, stock movements,
workflow history, exceptions), forecasting, optimisation, reports and charts.

Analytics read; they never change business state.
"""
