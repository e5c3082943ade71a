function ok()
end

function broken(
  return 1
end
